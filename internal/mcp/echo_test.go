package mcp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
		writeJSON(w, http.StatusOK, map[string]any{"x_api_key": r.Header.Get("X-API-Key"), "body": string(body)})
	}))
	t.Cleanup(up.Close)
	e := newEnv(t, "")
	def := fmt.Sprintf(`{"name": "Echo API", "baseUrl": %q, "auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
		"actions": [{"key": "echo", "name": "Echo", "method": "POST", "endpoint": "/echo", "parameters": {"i": "integer", "n": "number"}}]}`, up.URL)
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
