package mcp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
)

const echoKey = "mcp-echo-secret-42"

// echoTool deploys an integration whose API repeats what it received (its
// API key in the body and a header, and the raw request body), and returns
// an agent session that may call it as echo_api__echo.
func echoTool(t *testing.T) (*env, *sdk.ClientSession) {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo-Key", r.Header.Get("X-API-Key"))
		writeJSON(w, http.StatusOK, map[string]any{"x_api_key": r.Header.Get("X-API-Key"), "body": string(body), "query": r.URL.RawQuery})
	}))
	t.Cleanup(up.Close)
	e := newEnv(t, "")
	def := fmt.Sprintf(`{"name": "Echo API", "baseUrl": %q, "auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
		"actions": [{"key": "echo", "name": "Echo", "method": "POST", "endpoint": "/echo", "parameters": {"i": "integer", "n": "number"}},
		           {"key": "search", "name": "Search", "method": "POST", "endpoint": "/search", "parameters": {
		             "DateSent>": {"type": "string", "in": "query", "required": true}, "DateSent<": {"type": "string", "in": "query"},
		             "filter": {"type": "object", "properties": {"created at": {"type": "string"}}}}}]}`, up.URL)
	in, err := e.srv.Client.CreateIntegration(e.ctx, json.RawMessage(def))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Client.AddConnection(e.ctx, in.ID, client.ConnectionInput{Environment: "production", Credentials: map[string]string{"api_key": echoKey}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Client.Deploy(e.ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	agent := e.agent(t, "echo bot", client.AgentGrant{Integration: in.Slug})
	return e, e.mustConnect(t, agent.Key, nil)
}

// A tool result never hands the agent the connection's credential, even
// when the API repeats it back.
func TestToolResultsMaskEchoedCredentials(t *testing.T) {
	t.Parallel()
	e, cs := echoTool(t)
	res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "echo_api__echo", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %s", err, text(res))
	}
	for what, got := range map[string]string{"text": text(res), "structured content": jsonOf(t, res.StructuredContent)} {
		if strings.Contains(got, echoKey) || !strings.Contains(got, "[REDACTED]") {
			t.Errorf("the %s shows the credential or no [REDACTED]: %s", what, got)
		}
	}
}

// Numbers in a tool call's arguments reach the API exactly as the model
// wrote them, beyond what a float64 holds.
func TestToolCallsSendNumbersExactly(t *testing.T) {
	t.Parallel()
	e, cs := echoTool(t)
	res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "echo_api__echo",
		Arguments: json.RawMessage(`{"i": 9007199254740993, "n": 0.10000000000000000555}`)})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %s", err, text(res))
	}
	if got := text(res); !strings.Contains(got, `{\"i\":9007199254740993,\"n\":0.10000000000000000555}`) {
		t.Errorf("the API received another body: %s", got)
	}
	res, err = cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "echo_api__echo", Arguments: json.RawMessage(`{"i": 9007199254740993.5}`)})
	if err != nil || !res.IsError || !strings.Contains(text(res), "i: must be an integer, got 9007199254740993.5") {
		t.Errorf("a fraction for an integer: %v %s", err, text(res))
	}
}

// Parameter names that Anthropic and Bedrock refuse as property keys are
// shown under accepted names, and a call under those names reaches the API
// under its own.
func TestToolCallsMapArgumentNamesBack(t *testing.T) {
	t.Parallel()
	e, cs := echoTool(t)
	search := listTools(t, cs)["echo_api__search"]
	if search == nil {
		t.Fatal("no echo_api__search tool")
	}
	var schema struct {
		Properties map[string]struct {
			Properties map[string]any
		}
		Required []string
	}
	if err := json.Unmarshal([]byte(jsonOf(t, search.InputSchema)), &schema); err != nil {
		t.Fatal(err)
	}
	var after, before, createdAt string
	for k, p := range schema.Properties {
		if !providerKey.MatchString(k) {
			t.Errorf("property key %q is refused by Anthropic and Bedrock", k)
		}
		switch {
		case strings.HasPrefix(k, "DateSent_") && slices.Contains(schema.Required, k):
			after = k
		case strings.HasPrefix(k, "DateSent_"):
			before = k
		case k == "filter":
			for nested := range p.Properties {
				createdAt = nested
			}
		}
	}
	if after == "" || before == "" || after == before || !providerKey.MatchString(createdAt) {
		t.Fatalf("schema = %s", jsonOf(t, search.InputSchema))
	}
	res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "echo_api__search",
		Arguments: map[string]any{after: "2026-01-01", before: "2026-02-01", "filter": map[string]any{createdAt: "today"}}})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %s", err, text(res))
	}
	got := text(res)
	if !strings.Contains(got, "DateSent%3E=2026-01-01") || !strings.Contains(got, "DateSent%3C=2026-02-01") || !strings.Contains(got, `{\"created at\":\"today\"}`) {
		t.Errorf("the API did not receive its own names: %s", got)
	}
	res, err = cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "echo_api__search", Arguments: map[string]any{}})
	if err != nil || !res.IsError || !strings.Contains(text(res), "- "+after+": required") {
		t.Errorf("a missing argument is not named as the tool shows it: %v %s", err, text(res))
	}
}

// providerKey is the property key Anthropic and Amazon Bedrock accept.
var providerKey = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)
