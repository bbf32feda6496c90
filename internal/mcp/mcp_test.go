package mcp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/mcp"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func TestAgentTools(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		agent := e.agent(t, "support bot", client.AgentGrant{Integration: e.crm.Slug})
		cs := e.mustConnect(t, agent.Key, nil)

		t.Run("tools/list gives every granted deployed action with its schema and annotations", func(t *testing.T) {
			tools := listTools(t, cs)
			want := []string{"test_crm__create_contact", "test_crm__get_contact", "test_crm__list_contacts", "test_crm__delete_contact", "test_crm__replace_contact", "test_crm__tag_contact"}
			if len(tools) != len(want) {
				t.Fatalf("got %d tools, want %d: %v", len(tools), len(want), tools)
			}
			for _, name := range want {
				if tools[name] == nil {
					t.Fatalf("tool %s missing", name)
				}
			}
			create := tools["test_crm__create_contact"]
			if !strings.HasPrefix(create.Description, "Create a contact in the CRM.") || !strings.Contains(create.Description, "POST /contacts") {
				t.Errorf("description = %q", create.Description)
			}
			wantSchema := `{"type":"object","required":["name","email"],"additionalProperties":false,"properties":{` +
				`"name":{"type":"string","description":"Full name"},` +
				`"email":{"type":"string","format":"email"},` +
				`"tier":{"type":"string","default":"free","enum":["free","pro"]}}}`
			assertJSONEqual(t, "create_contact input schema", jsonOf(t, create.InputSchema), wantSchema)
			assertJSONEqual(t, "list_contacts input schema", jsonOf(t, tools["test_crm__list_contacts"].InputSchema),
				`{"type":"object","additionalProperties":false,"properties":{"limit":{"type":"integer","default":10,"minimum":0,"maximum":100}}}`)

			ann := func(name string) sdk.ToolAnnotations { return *tools[name].Annotations }
			if a := ann("test_crm__get_contact"); !a.ReadOnlyHint || a.DestructiveHint != nil {
				t.Errorf("GET annotations = %+v", a)
			}
			if a := ann("test_crm__delete_contact"); a.ReadOnlyHint || a.DestructiveHint == nil || !*a.DestructiveHint || !a.IdempotentHint {
				t.Errorf("DELETE annotations = %+v", a)
			}
			if a := ann("test_crm__replace_contact"); !a.IdempotentHint || a.ReadOnlyHint || *a.DestructiveHint {
				t.Errorf("PUT annotations = %+v", a)
			}
			if a := ann("test_crm__create_contact"); a.IdempotentHint || a.ReadOnlyHint || *a.DestructiveHint || a.Title != "Create Contact" {
				t.Errorf("POST annotations = %+v", a)
			}
			if a := ann("test_crm__tag_contact"); !a.IdempotentHint {
				t.Errorf("idempotent POST annotations = %+v", a)
			}
		})

		t.Run("tools/call runs the action against the API and returns its answer", func(t *testing.T) {
			res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__create_contact", Arguments: map[string]any{"name": "Ada", "email": "ada@example.com"}})
			if err != nil {
				t.Fatal(err)
			}
			if res.IsError {
				t.Fatalf("tool error: %s", text(res))
			}
			got := res.StructuredContent.(map[string]any)
			body, _ := got["body"].(map[string]any)
			if got["status"] != float64(201) || body["name"] != "Ada" || body["tier"] != "free" || body["id"] == "" {
				t.Fatalf("structured content = %v", got)
			}
			if !strings.Contains(text(res), `"name":"Ada"`) {
				t.Errorf("text content = %s", text(res))
			}
			e.srv.Server.Recorder.Flush(e.ctx)
			logs, err := e.srv.Client.Logs(e.ctx, url.Values{"source": {"mcp"}, "action": {"create_contact"}})
			if err != nil || len(logs) != 1 || logs[0].Status != 201 || logs[0].Environment != "production" {
				t.Fatalf("call log = %+v, %v", logs, err)
			}
			if strings.Contains(logs[0].RequestHeaders, upstreamKey) {
				t.Errorf("the call log shows the API key: %s", logs[0].RequestHeaders)
			}
		})

		t.Run("errors are tool errors a model can act on", func(t *testing.T) {
			cases := []struct {
				name string
				args map[string]any
				want []string
			}{
				{"test_crm__create_contact", map[string]any{"name": 7}, []string{"not valid", "name", "email"}},
				{"test_crm__create_contact", map[string]any{"name": "Bo", "email": "bo@example.com", "tier": "gold"}, []string{"tier"}},
				{"test_crm__get_contact", map[string]any{"id": "nope"}, []string{"Test CRM answered 404 Not Found to GET /contacts/{id}", "no contact with id nope"}},
				{"test_crm__create_contact", map[string]any{"name": "flood", "email": "f@example.com"}, []string{"429", "rate limiting", "retry after 7 seconds"}},
			}
			for _, c := range cases {
				res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: c.name, Arguments: c.args})
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if !res.IsError {
					t.Fatalf("%s %v: not a tool error: %s", c.name, c.args, text(res))
				}
				for _, w := range c.want {
					if !strings.Contains(text(res), w) {
						t.Errorf("%s %v: %q does not say %q", c.name, c.args, text(res), w)
					}
				}
				if c.args["name"] == "flood" {
					// The API's Retry-After is its budget: the result says
					// none is left, and when it comes back.
					rl, _ := res.Meta[mcp.MetaRateLimit].(map[string]any)
					if rl == nil || rl["remaining"] != float64(0) || rl["reset"] == "" {
						t.Errorf("the 429's _meta does not carry the spent budget: %v", res.Meta)
					}
				}
			}
		})

		t.Run("an API that does not answer in time is a timeout tool error", func(t *testing.T) {
			hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
			t.Cleanup(hang.Close)
			slow, err := e.srv.Client.CreateIntegration(e.ctx, json.RawMessage(`{"name": "Slow API", "baseUrl": "`+hang.URL+`", "timeoutSeconds": 1,
				"auth": {"type": "none"}, "actions": [{"key": "ping", "name": "Ping", "method": "POST", "endpoint": "/ping"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.srv.Client.Deploy(e.ctx, slow.ID); err != nil {
				t.Fatal(err)
			}
			a := e.agent(t, "patient", client.AgentGrant{Integration: slow.ID})
			res, err := e.mustConnect(t, a.Key, nil).CallTool(e.ctx, &sdk.CallToolParams{Name: "slow_api__ping"})
			if err != nil {
				t.Fatal(err)
			}
			if !res.IsError || !strings.HasPrefix(text(res), "Timeout: Slow API did not answer in time") {
				t.Fatalf("result: %s", text(res))
			}
		})

		t.Run("a repeated idempotency key returns the first result without calling the API", func(t *testing.T) {
			before := e.up.calls.Load()
			params := &sdk.CallToolParams{Name: "test_crm__create_contact", Arguments: map[string]any{"name": "Cy", "email": "cy@example.com"},
				Meta: sdk.Meta{"idempotency_key": "create-cy-1"}}
			first, err := cs.CallTool(e.ctx, params)
			if err != nil || first.IsError {
				t.Fatalf("first call: %v %s", err, text(first))
			}
			second, err := cs.CallTool(e.ctx, params)
			if err != nil || second.IsError {
				t.Fatalf("second call: %v %s", err, text(second))
			}
			if n := e.up.calls.Load() - before; n != 1 {
				t.Fatalf("the API was called %d times, want 1", n)
			}
			if jsonOf(t, first.StructuredContent) != jsonOf(t, second.StructuredContent) {
				t.Fatalf("replay differs:\n%s\n%s", jsonOf(t, first.StructuredContent), jsonOf(t, second.StructuredContent))
			}
			if second.Meta["idempotent_replay"] != true || first.Meta["idempotent_replay"] != nil {
				t.Errorf("replay meta: first %v, second %v", first.Meta, second.Meta)
			}
			params.Arguments = map[string]any{"name": "Other", "email": "o@example.com"}
			other, err := cs.CallTool(e.ctx, params)
			if err != nil || !other.IsError || !strings.Contains(text(other), "different request") {
				t.Fatalf("key reused for other arguments: %v %s", err, text(other))
			}
		})
	})
}

func assertJSONEqual(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s: %v in %s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad want: %v", what, err)
	}
	if jsonOf(t, g) != jsonOf(t, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
}
