package mcp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

const upstreamKey = "crm-secret-key-123"

// upstream is a small contacts API that insists on its API key and counts
// the calls it serves.
type upstream struct {
	*httptest.Server
	calls    atomic.Int64
	deletes  atomic.Int64 // DELETE /v1/contacts/{id} answered
	mu       sync.Mutex
	contacts map[string]map[string]any
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{contacts: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/contacts", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		if in["name"] == "flood" {
			// POST is not retried, so the 429 comes back at once.
			w.Header().Set("Retry-After", "7")
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "slow down"})
			return
		}
		u.mu.Lock()
		in["id"] = fmt.Sprintf("c%d", len(u.contacts)+1)
		u.contacts[in["id"].(string)] = in
		u.mu.Unlock()
		writeJSON(w, http.StatusCreated, in)
	})
	mux.HandleFunc("GET /v1/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		c, ok := u.contacts[r.PathValue("id")]
		u.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no contact with id " + r.PathValue("id")})
			return
		}
		writeJSON(w, http.StatusOK, c)
	})
	mux.HandleFunc("DELETE /v1/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		u.deletes.Add(1)
		writeJSON(w, http.StatusOK, map[string]string{"deleted": r.PathValue("id")})
	})
	mux.HandleFunc("GET /v1/contacts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"limit": r.URL.Query().Get("limit")})
	})
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.calls.Add(1)
		if r.Header.Get("X-API-Key") != upstreamKey {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "bad key"})
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// definition is a CRM integration on base, with an action of each kind of
// method and parameters that exercise the input schema.
func definition(base string, extra ...string) string {
	actions := []string{
		`{"key": "create_contact", "name": "Create Contact", "description": "Create a contact in the CRM.", "method": "POST", "endpoint": "/contacts",
		  "parameters": {"name": {"type": "string", "required": true, "description": "Full name"},
		                 "email": {"type": "string", "format": "email", "required": true},
		                 "tier": {"type": "string", "enum": ["free", "pro"], "default": "free"}}}`,
		`{"key": "get_contact", "name": "Get Contact", "method": "GET", "endpoint": "/contacts/{id}", "parameters": {"id": "string"}}`,
		`{"key": "list_contacts", "name": "List Contacts", "method": "GET", "endpoint": "/contacts",
		  "parameters": {"limit": {"type": "integer", "in": "query", "default": 10, "minimum": 0, "maximum": 100}}}`,
		`{"key": "delete_contact", "name": "Delete Contact", "method": "DELETE", "endpoint": "/contacts/{id}", "parameters": {"id": "string"}}`,
		`{"key": "replace_contact", "name": "Replace Contact", "method": "PUT", "endpoint": "/contacts/{id}", "parameters": {"id": "string", "name": "string"}}`,
		`{"key": "tag_contact", "name": "Tag Contact", "method": "POST", "endpoint": "/contacts/{id}/tags", "idempotent": true, "parameters": {"id": "string", "tag": "string"}}`,
	}
	actions = append(actions, extra...)
	return fmt.Sprintf(`{"name": "Test CRM", "baseUrl": %q, "auth": {"type": "api_key", "location": "header", "key": "X-API-Key"}, "actions": [%s]}`,
		base+"/v1", strings.Join(actions, ","))
}

// env is a running server with the CRM integration deployed and connected
// in production.
type env struct {
	srv      *servertest.Instance
	up       *upstream
	crm      *client.Integration
	ctx      context.Context
	upstream string
}

func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	return newEnvOpts(t, servertest.Options{Engine: engine})
}

func newEnvOpts(t *testing.T, opts servertest.Options) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{srv: servertest.Start(t, opts), up: newUpstream(t), ctx: ctx}
	c := e.srv.Client
	var err error
	if e.crm, err = c.CreateIntegration(ctx, json.RawMessage(definition(e.up.URL))); err != nil {
		t.Fatalf("create integration: %v", err)
	}
	if _, err := c.AddConnection(ctx, e.crm.ID, client.ConnectionInput{Environment: "production", Credentials: map[string]string{"api_key": upstreamKey}}); err != nil {
		t.Fatalf("connect: %v", err)
	}
	if _, err := c.Deploy(ctx, e.crm.ID); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return e
}

// deployMessages deploys a second integration on the upstream whose one
// action has a parameter named as model providers refuse ("DateSent>")
// and one of no type, which JSON Schema may write as true.
func (e *env) deployMessages(t *testing.T) *client.Integration {
	t.Helper()
	in, err := e.srv.Client.CreateIntegration(e.ctx, json.RawMessage(`{"name": "Messages", "baseUrl": "`+e.up.URL+`", "auth": {"type": "none"},
		"actions": [{"key": "list_messages", "name": "List Messages", "method": "GET", "endpoint": "/messages",
		  "parameters": {"DateSent>": {"type": "string", "in": "query"}, "anything": {"in": "query"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Client.Deploy(e.ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	return in
}

func (e *env) agent(t *testing.T, name string, grants ...client.AgentGrant) *client.Agent {
	t.Helper()
	a, err := e.srv.Client.CreateAgent(e.ctx, name, grants)
	if err != nil {
		t.Fatalf("create agent: %v", err)
	}
	return a
}

// bearer adds an agent key to every request.
type bearer struct{ key string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}

// connect connects the go-sdk client over HTTP at the latest revision it
// speaks.
func (e *env) connect(t *testing.T, key string, opts *sdk.ClientOptions) (*sdk.ClientSession, error) {
	t.Helper()
	return e.connectAt(t, key, "", opts)
}

// connectAt connects the go-sdk client at a protocol revision: on one
// before 2026-07-28 that opens a session.
func (e *env) connectAt(t *testing.T, key, revision string, opts *sdk.ClientOptions) (*sdk.ClientSession, error) {
	t.Helper()
	c := sdk.NewClient(&sdk.Implementation{Name: "plugboard-test", Version: "1"}, opts)
	cs, err := c.Connect(e.ctx, &sdk.StreamableClientTransport{
		Endpoint: e.srv.URL + "/mcp", HTTPClient: &http.Client{Transport: bearer{key}}, MaxRetries: -1,
	}, &sdk.ClientSessionOptions{ProtocolVersion: revision})
	if err == nil {
		t.Cleanup(func() { cs.Close() })
	}
	return cs, err
}

func (e *env) mustConnect(t *testing.T, key string, opts *sdk.ClientOptions) *sdk.ClientSession {
	t.Helper()
	return e.mustConnectAt(t, key, "", opts)
}

func (e *env) mustConnectAt(t *testing.T, key, revision string, opts *sdk.ClientOptions) *sdk.ClientSession {
	t.Helper()
	cs, err := e.connectAt(t, key, revision, opts)
	if err != nil {
		t.Fatalf("connect MCP client at %q: %v", revision, err)
	}
	return cs
}

// listTools lists the tools of the agent's integrations; read_result,
// which comes with them, is left out (results_test.go tests it).
func listTools(t *testing.T, cs *sdk.ClientSession) map[string]*sdk.Tool {
	t.Helper()
	out := allTools(t, cs)
	delete(out, "read_result")
	return out
}

func allTools(t *testing.T, cs *sdk.ClientSession) map[string]*sdk.Tool {
	t.Helper()
	out := map[string]*sdk.Tool{}
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatalf("list tools: %v", err)
		}
		out[tool.Name] = tool
	}
	return out
}

func text(res *sdk.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
