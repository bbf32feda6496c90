package mcp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
)

// weatherTool deploys an API whose forecast action declares the schema of
// its body; /broken answers otherwise than declared.
func weatherTool(t *testing.T) (*env, *client.Agent) {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			writeJSON(w, http.StatusOK, map[string]any{"city": 42})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"city": r.URL.Query().Get("city"), "days": []map[string]any{{"high": 21.5, "sky": "clear"}}})
	}))
	t.Cleanup(up.Close)
	e := newEnv(t, "")
	schema := `{"type": "object", "required": ["city", "days"], "properties": {"city": {"type": "string"},
		"days": {"type": "array", "items": {"type": "object", "properties": {"high": {"type": "number"}, "sky": {"type": "string", "enum": ["clear", "rain"]}, "note": {}}}}}}`
	in, err := e.srv.Client.CreateIntegration(e.ctx, json.RawMessage(fmt.Sprintf(`{"name": "Weather", "baseUrl": %q, "actions": [
		{"key": "forecast", "name": "Forecast", "endpoint": "/forecast", "parameters": {"city": "string"}, "response": {"schema": %s}},
		{"key": "broken", "name": "Broken", "endpoint": "/broken", "response": {"schema": %s}},
		{"key": "plain", "name": "Plain", "endpoint": "/forecast"}]}`, up.URL, schema, schema)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Client.Deploy(e.ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	return e, e.agent(t, "weather bot", client.AgentGrant{Integration: in.Slug})
}

// A tool whose action declares its body's schema carries an outputSchema,
// and its results' structuredContent matches it; a body that does not
// match is left out of the structured content, not sent to be refused.
func TestOutputSchemaAndStructuredContent(t *testing.T) {
	t.Parallel()
	e, ag := weatherTool(t)
	cs := e.mustConnect(t, ag.Key, nil)
	tools := listTools(t, cs)
	if tools["weather__plain"].OutputSchema != nil {
		t.Errorf("a tool without a declared schema has an outputSchema: %s", jsonOf(t, tools["weather__plain"].OutputSchema))
	}
	out := jsonOf(t, tools["weather__forecast"].OutputSchema)
	if !strings.Contains(out, `"body"`) || !strings.Contains(out, `"enum":["clear","rain"]`) {
		t.Fatalf("outputSchema = %s", out)
	}
	res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "weather__forecast", Arguments: map[string]any{"city": "Lyon"}})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %s", err, text(res))
	}
	got := jsonOf(t, res.StructuredContent)
	if !strings.Contains(got, `"body":{"city":"Lyon","days":[{"high":21.5,"sky":"clear"}]}`) || !strings.Contains(got, `"status":200`) {
		t.Errorf("structuredContent = %s", got)
	}
	res, err = cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "weather__broken", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %s", err, text(res))
	}
	if got := jsonOf(t, res.StructuredContent); strings.Contains(got, `"body"`) || !strings.Contains(text(res), `"city":42`) {
		t.Errorf("a body against the schema: structured %s, text %s", got, text(res))
	}
}

// The TypeScript SDK's client validates structuredContent against the
// outputSchema a tool declared, and throws on a mismatch.
func TestTypeScriptClientAcceptsStructuredContent(t *testing.T) {
	t.Parallel()
	e, ag := weatherTool(t)
	seen := typescriptCheck(t, e, ag.Key, "weather__forecast", `{"city": "Lyon"}`)
	if seen.First.IsError || seen.First.StructuredContent["body"] == nil {
		t.Errorf("forecast: %+v", seen.First)
	}
	// Were the body that does not match sent, the client would throw.
	seen = typescriptCheck(t, e, ag.Key, "weather__broken", `{}`)
	if seen.First.IsError || seen.First.StructuredContent["status"] != float64(200) {
		t.Errorf("broken: %+v", seen.First)
	}
}
