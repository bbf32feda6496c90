package agent_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/store"
)

// providerKey is the property key Anthropic and Amazon Bedrock accept.
var providerKey = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// messages is an action whose parameters are named as real APIs name them
// (Twilio's DateSent> and DateSent<, a JSON:API filter[status], a
// placeholder left in an OpenAPI document, $schema, a 70-character name),
// with a refused key nested in a body object.
const messages = `{"name": "Messages", "baseUrl": "https://api.example.com", "actions": [{
	"key": "list_messages", "name": "List Messages", "method": "POST", "endpoint": "/messages",
	"parameters": {
		"DateSent": {"type": "string", "in": "query"},
		"DateSent>": {"type": "string", "in": "query", "description": "Sent after this date", "required": true},
		"DateSent<": {"type": "string", "in": "query"},
		"filter[status]": {"type": "string", "in": "query"},
		"{field_name}": {"type": "string"},
		"$schema": {"type": "string"},
		"a_parameter_name_that_goes_on_and_on_beyond_what_providers_accept_x": {"type": "integer"},
		"filter": {"type": "object", "properties": {"created at": {"type": "string"}, "tags": {"type": "array", "items": {"type": "object", "properties": {"x-y z": {"type": "string"}}}}}}
	}}]}`

func messagesTool(t *testing.T, def string) *agent.Tool {
	t.Helper()
	d, err := connector.Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	return &agent.Tool{Name: "messages__list_messages", Integration: store.Integration{Name: "Messages"}, Definition: d, Action: &d.Actions[0]}
}

// shownKeys walks a schema as JSON and returns every property key, at
// any depth, by the path of the object it is in.
func shownKeys(schema any, path string, out map[string][]string) {
	m, ok := schema.(map[string]any)
	if !ok {
		return
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for k, v := range props {
			out[path] = append(out[path], k)
			shownKeys(v, path+"/"+k, out)
		}
	}
	shownKeys(m["items"], path+"[]", out)
}

func TestToolArgumentNames(t *testing.T) {
	t.Parallel()
	tool := messagesTool(t, messages)
	var schema map[string]any
	if err := json.Unmarshal(tool.InputSchemaJSON(), &schema); err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	shownKeys(schema, "", keys)
	shown := map[string]string{} // API name → shown name, top level
	for _, k := range keys[""] {
		if !providerKey.MatchString(k) {
			t.Errorf("property key %q is refused by Anthropic and Bedrock", k)
		}
	}
	for _, p := range tool.Action.Parameters {
		shown[p.Name] = tool.ArgumentName("params." + p.Name)
	}

	t.Run("accepted keys keep their names, refused ones get distinct accepted names", func(t *testing.T) {
		if shown["DateSent"] != "DateSent" || shown["filter"] != "filter" {
			t.Errorf("accepted keys renamed: %v", shown)
		}
		seen := map[string]bool{}
		for real, name := range shown {
			if !slices.Contains(keys[""], name) {
				t.Errorf("%q is shown as %q, which the schema does not have (%v)", real, name, keys[""])
			}
			if seen[name] {
				t.Errorf("two parameters are shown as %q", name)
			}
			seen[name] = true
		}
		if !strings.HasPrefix(shown["DateSent>"], "DateSent_") || !strings.HasPrefix(shown["filter[status]"], "filter_status_") {
			t.Errorf("renamed keys do not keep their readable part: %v", shown)
		}
		for _, path := range []string{"/filter", "/filter/tags[]"} {
			for _, k := range keys[path] {
				if !providerKey.MatchString(k) {
					t.Errorf("nested property key %q at %s is refused", k, path)
				}
			}
		}
	})

	t.Run("a renamed key's name depends on the key alone", func(t *testing.T) {
		alone := messagesTool(t, `{"name": "Messages", "baseUrl": "https://api.example.com", "actions": [{
			"key": "list_messages", "name": "List Messages", "method": "GET", "endpoint": "/messages",
			"parameters": {"DateSent>": {"type": "string"}}}]}`)
		if got := alone.ArgumentName("params.DateSent>"); got != shown["DateSent>"] {
			t.Errorf("DateSent> alone is %q, beside others %q", got, shown["DateSent>"])
		}
	})

	t.Run("the schema says what the API calls a renamed parameter, and what is required", func(t *testing.T) {
		props := schema["properties"].(map[string]any)
		desc, _ := props[shown["DateSent>"]].(map[string]any)["description"].(string)
		if !strings.HasPrefix(desc, "Sent after this date") || !strings.Contains(desc, `"DateSent>"`) {
			t.Errorf("description = %q", desc)
		}
		if req, _ := schema["required"].([]any); len(req) != 1 || req[0] != shown["DateSent>"] {
			t.Errorf("required = %v", schema["required"])
		}
	})

	t.Run("a call's arguments reach the API under its own names, nested ones too", func(t *testing.T) {
		nested := keys["/filter"]
		var createdAt string
		for _, k := range nested {
			if strings.HasPrefix(k, "created_at") {
				createdAt = k
			}
		}
		item := keys["/filter/tags[]"][0]
		args := map[string]any{
			shown["DateSent>"]: "2026-01-01", "DateSent": "2026-02-02", shown["{field_name}"]: "x",
			"filter": map[string]any{createdAt: "today", "tags": []any{map[string]any{item: "v"}}},
		}
		got := tool.Params(args)
		want := map[string]any{
			"DateSent>": "2026-01-01", "DateSent": "2026-02-02", "{field_name}": "x",
			"filter": map[string]any{"created at": "today", "tags": []any{map[string]any{"x-y z": "v"}}},
		}
		if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
			t.Errorf("params =\n%s\nwant\n%s", g, w)
		}
		if _, err := tool.Action.CheckParams(got); err != nil {
			t.Errorf("the action refuses the mapped arguments: %v", err)
		}
	})

	t.Run("every export shows the same names", func(t *testing.T) {
		for _, format := range []string{agent.FormatOpenAI, agent.FormatAnthropic, agent.FormatMCP} {
			out, err := agent.Export([]agent.Tool{*tool}, format)
			if err != nil {
				t.Fatal(err)
			}
			var decoded []map[string]any
			if err := json.Unmarshal([]byte(mustJSON(t, out)), &decoded); err != nil {
				t.Fatal(err)
			}
			var s any
			switch format {
			case agent.FormatOpenAI:
				s = decoded[0]["function"].(map[string]any)["parameters"]
			case agent.FormatAnthropic:
				s = decoded[0]["input_schema"]
			case agent.FormatMCP:
				s = decoded[0]["inputSchema"]
			}
			got := map[string][]string{}
			shownKeys(s, "", got)
			if g, w := mustJSON(t, sorted(got)), mustJSON(t, sorted(keys)); g != w {
				t.Errorf("%s export keys %s, want %s", format, g, w)
			}
		}
	})
}

func sorted(m map[string][]string) map[string][]string {
	for _, v := range m {
		slices.Sort(v)
	}
	return m
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
