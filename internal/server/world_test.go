package server_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/worker/wire"
)

// world is an organization as the surface tests need it: an owner, two
// developers (alice in the Finance team, bob not) and a viewer, each with
// an API key and a dashboard session; "Ledger", restricted to Finance, and
// "Open", with a shared connection and alice's personal one, both deployed
// on an upstream that records what reaches it.
type world struct {
	t      *testing.T
	ctx    context.Context
	srv    *servertest.Instance
	orgID  string
	up     *upstream
	owner  *member
	alice  *member
	bob    *member
	viewer *member
	team   string
	ledger *client.Integration
	open   *client.Integration
	// alicesConn is alice's personal sandbox connection of Open.
	alicesConn string

	hook       string        // a webhook of the owner's, without triggers
	agent      *client.Agent // an agent of the owner's on Open
	codeWorker string        // bob's worker of Coded, restricted to Finance
	free       *member       // the owner of an organization at its plan's limit
	revoked    *client.Agent
}

// member is one person of the organization on every surface.
type member struct {
	id, email, key string
	api            *client.Client
	site           *servertest.Site
}

// upstream is the API behind both integrations: it answers every call and
// remembers the key each carried.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	keys []string
}

func (u *upstream) seen() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.keys...)
}

func newWorld(t *testing.T, engine string) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), srv: servertest.Start(t, servertest.Options{Engine: engine, Quiet: true})}
	w.up = &upstream{}
	w.up.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.up.mu.Lock()
		w.up.keys = append(w.up.keys, r.Header.Get("X-API-Key"))
		w.up.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(w.up.Close)

	w.owner = &member{api: w.srv.Client, key: w.srv.Token}
	var me struct {
		User struct{ ID, Email string } `json:"user"`
		Org  struct{ ID string }        `json:"org"`
	}
	w.must(w.owner.api.Do(w.ctx, "GET", "/v1/me", nil, &me))
	w.owner.id, w.owner.email, w.orgID = me.User.ID, me.User.Email, me.Org.ID
	w.owner.site = w.invitedSite("owner2@example.com", "owner") // the owner's own session is another owner's
	w.alice, w.bob, w.viewer = w.invite("alice@example.com", "developer"), w.invite("bob@example.com", "developer"), w.invite("vera@example.com", "viewer")

	var team struct{ ID string }
	w.must(w.owner.api.Do(w.ctx, "POST", "/v1/teams", map[string]string{"name": "Finance"}, &team))
	w.team = team.ID
	w.must(w.owner.api.Do(w.ctx, "PUT", "/v1/teams/"+team.ID+"/members/"+w.alice.id, nil, nil))

	w.ledger = w.integration("Ledger", "ledger-key")
	w.must(w.owner.api.Do(w.ctx, "PUT", "/v1/integrations/"+w.ledger.ID+"/teams", map[string][]string{"teams": {team.ID}}, nil))
	w.open = w.integration("Open", "shared-key")
	var conn struct{ ID string }
	w.must(w.alice.api.Do(w.ctx, "POST", "/v1/integrations/"+w.open.ID+"/connections",
		map[string]any{"environment": "sandbox", "personal": true, "credentials": map[string]string{"api_key": "alice-key"}}, &conn))
	w.alicesConn = conn.ID
	w.hook = w.webhook(w.owner.api, nil)
	var err error
	w.agent, err = w.owner.api.CreateAgent(w.ctx, "helper", []client.AgentGrant{{Integration: w.open.ID}})
	w.must(err)
	w.codeWorker, w.free, w.revoked = w.restrictedCode(), w.freeOrg(), w.revokedAgent()
	return w
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// integration creates, connects (sandbox and production) and deploys an
// integration on the upstream.
func (w *world) integration(name, key string) *client.Integration {
	w.t.Helper()
	def := fmt.Sprintf(`{"name": %q, "baseUrl": %q, "auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
		"actions": [{"name": "Ping", "endpoint": "/ping"}, {"name": "Post Entry", "method": "POST", "endpoint": "/entries", "parameters": {"memo": "string"}}]}`, name, w.up.URL)
	in, err := w.owner.api.CreateIntegration(w.ctx, json.RawMessage(def))
	w.must(err)
	for _, env := range []string{"sandbox", "production"} {
		_, err := w.owner.api.AddConnection(w.ctx, in.ID, client.ConnectionInput{Environment: env, Credentials: map[string]string{"api_key": key}})
		w.must(err)
	}
	_, err = w.owner.api.Deploy(w.ctx, in.ID)
	w.must(err)
	return in
}

// invite adds a member through the API and signs them in to the dashboard
// with the link the invitation gave.
func (w *world) invite(email, role string) *member {
	w.t.Helper()
	var out struct {
		User      struct{ ID string } `json:"user"`
		Key       string              `json:"key"`
		SigninURL string              `json:"signin_url"`
	}
	w.must(w.owner.api.Do(w.ctx, "POST", "/v1/users", map[string]string{"email": email, "role": role}, &out))
	site := servertest.NewSite(w.t, w.srv.URL)
	site.SetPassword(out.SigninURL, email, "a long enough password")
	return &member{id: out.User.ID, email: email, key: out.Key, api: client.New(w.srv.URL, out.Key), site: site}
}

func (w *world) invitedSite(email, role string) *servertest.Site { return w.invite(email, role).site }

// snapshot sums up everything a refused change could have touched: the
// rows of every table a surface writes, when each was last changed, and
// the audit trail.
func (w *world) snapshot() string {
	w.t.Helper()
	db := w.srv.Server.Store.DB()
	var b strings.Builder
	for _, q := range []string{
		`SELECT COUNT(*) FROM integrations`, `SELECT COALESCE(SUM(updated_at), 0) FROM integrations`,
		`SELECT COUNT(*) FROM integration_versions`, `SELECT COUNT(*) FROM integration_teams`,
		`SELECT COUNT(*) FROM connections`, `SELECT COALESCE(SUM(updated_at), 0) FROM connections`,
		`SELECT COUNT(*) FROM agents`, `SELECT COALESCE(SUM(updated_at), 0) FROM agents`, `SELECT COUNT(*) FROM agent_grants`,
		`SELECT COUNT(*) FROM webhooks`, `SELECT COALESCE(SUM(updated_at), 0) FROM webhooks`, `SELECT COUNT(*) FROM webhook_triggers`,
		`SELECT COUNT(*) FROM workers`, `SELECT COUNT(*) FROM users`, `SELECT COUNT(*) FROM api_keys`,
		`SELECT COUNT(*) FROM teams`, `SELECT COUNT(*) FROM team_members`, `SELECT COUNT(*) FROM audit_events`,
	} {
		var n sql.NullInt64
		if err := db.QueryRowContext(w.ctx, q).Scan(&n); err != nil {
			w.t.Fatalf("%s: %v", q, err)
		}
		fmt.Fprintf(&b, "%s=%d\n", q, n.Int64)
	}
	return b.String()
}

// refusal is what a surface answered: a status and the words a person or
// a model reads.
type refusal struct {
	status int
	text   string
}

// rest turns a client error into a refusal.
func rest(err error) refusal {
	var ce *client.Error
	if !errors.As(err, &ce) {
		if err == nil {
			return refusal{status: 200}
		}
		return refusal{text: err.Error()}
	}
	text := ce.Detail
	for _, fe := range ce.Errors {
		text += "\n" + fe.Field + ": " + fe.Message
	}
	return refusal{status: ce.Status, text: text}
}

// page turns a dashboard answer into a refusal; a redirect's flash message
// is read from the page it leads to.
func page(s *servertest.Site, code int, body string, h http.Header) refusal {
	if code == http.StatusSeeOther {
		if loc := h.Get("Location"); loc != "" {
			_, body = s.Get(loc)
		}
	}
	return refusal{status: code, text: html.UnescapeString(body)}
}

// get fetches a dashboard page as a refusal.
func get(s *servertest.Site, path string) refusal {
	code, body := s.Get(path)
	return refusal{status: code, text: html.UnescapeString(body)}
}

// mcpSession opens an MCP session with the go-sdk client.
func (w *world) mcpSession(key string) (*sdk.ClientSession, error) {
	c := sdk.NewClient(&sdk.Implementation{Name: "surfaces-test", Version: "1"}, nil)
	return c.Connect(w.ctx, &sdk.StreamableClientTransport{
		Endpoint: w.srv.URL + "/mcp", HTTPClient: &http.Client{Transport: bearer(key)}, MaxRetries: -1,
	}, nil)
}

type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// callTool calls a tool and returns its text as a refusal (status 0 for a
// tool error, 200 for a result).
func callTool(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any) refusal {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		return refusal{text: err.Error()}
	}
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	out := refusal{status: 200, text: strings.Join(parts, "\n")}
	if res.IsError {
		out.status = 0
	}
	return out
}

// toolNames lists the tools a session sees.
func toolNames(t *testing.T, cs *sdk.ClientSession) []string {
	t.Helper()
	var out []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatalf("list tools: %v", err)
		}
		out = append(out, tool.Name)
	}
	return out
}

// event sends a signed test event to a webhook and waits until its runs
// settle, returning the event with its runs.
func (w *world) event(webhookID string) map[string]any {
	w.t.Helper()
	var sent struct {
		EventID string `json:"event_id"`
	}
	w.must(w.owner.api.Do(w.ctx, "POST", "/v1/webhooks/"+webhookID+"/test", nil, &sent))
	deadline := time.Now().Add(20 * time.Second)
	for {
		var e map[string]any
		w.must(w.owner.api.Do(w.ctx, "GET", "/v1/events/"+sent.EventID, nil, &e))
		if s := e["status"]; s == "succeeded" || s == "dead" || time.Now().After(deadline) {
			return e
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// webhook creates a webhook through the API with triggers.
func (w *world) webhook(api *client.Client, triggers []map[string]any) string {
	w.t.Helper()
	var out struct{ ID string }
	w.must(api.Do(w.ctx, "POST", "/v1/webhooks", map[string]any{"name": "hook", "source": "standard", "triggers": triggers}, &out))
	return out.ID
}

// runRefusal is what a settled event says of its first run.
func runRefusal(e map[string]any) refusal {
	runs, _ := e["runs"].([]any)
	if len(runs) == 0 {
		return refusal{text: fmt.Sprintf("the event has no runs: %v", e)}
	}
	run := runs[0].(map[string]any)
	text, _ := run["last_error"].(string)
	return refusal{text: fmt.Sprintf("%s: %s", run["status"], text)}
}

// registration is what an SDK worker of a code integration called name
// registers.
func (w *world) registration(name string) wire.RegisterRequest {
	return wire.RegisterRequest{
		Worker: wire.WorkerInfo{Name: "test", SDK: "go/test", Concurrency: 1},
		Integration: wire.Integration{Name: name, BaseURL: w.up.URL, Auth: wire.Auth{Type: "none"}, Actions: []wire.Action{
			{Key: "echo", Name: "Echo", InputSchema: json.RawMessage(`{"type": "object", "properties": {"text": {"type": "string"}}}`)},
		}},
	}
}

// restrictedCode registers the code integration "Coded" with bob's key,
// then restricts it to Finance: bob's worker serves what bob may no longer
// use. It returns the worker's id.
func (w *world) restrictedCode() string {
	w.t.Helper()
	var out wire.RegisterResponse
	w.must(w.bob.api.Do(w.ctx, "POST", wire.PathRegister, w.registration("Coded"), &out))
	w.must(w.owner.api.Do(w.ctx, "PUT", "/v1/integrations/"+out.IntegrationID+"/teams", map[string][]string{"teams": {w.team}}, nil))
	return out.WorkerID
}

// freeOrg is an owner of another organization on the free plan that
// already has its two integrations, with an API key and a dashboard
// session.
func (w *world) freeOrg() *member {
	w.t.Helper()
	var opened struct {
		Key string `json:"key"`
	}
	w.must(w.owner.api.Do(w.ctx, "POST", "/v1/orgs", map[string]string{"name": "Tiny", "plan": "free", "owner_email": "tiny@example.com"}, &opened))
	api := client.New(w.srv.URL, opened.Key)
	for _, name := range []string{"One", "Two"} {
		_, err := api.CreateIntegration(w.ctx, json.RawMessage(fmt.Sprintf(`{"name": %q, "baseUrl": "https://x.example", "actions": [{"name": "A", "endpoint": "/a"}]}`, name)))
		w.must(err)
	}
	var inv struct {
		SigninURL string `json:"signin_url"`
	}
	w.must(api.Do(w.ctx, "POST", "/v1/users", map[string]string{"email": "tiny2@example.com", "role": "owner"}, &inv))
	site := servertest.NewSite(w.t, w.srv.URL)
	site.SetPassword(inv.SigninURL, "tiny2@example.com", "a long enough password")
	return &member{api: api, key: opened.Key, site: site}
}

// revokedAgent is an agent of the organization that was revoked.
func (w *world) revokedAgent() *client.Agent {
	w.t.Helper()
	ag, err := w.owner.api.CreateAgent(w.ctx, "revoked", []client.AgentGrant{{Integration: w.open.ID}})
	w.must(err)
	w.must(w.owner.api.Do(w.ctx, "DELETE", "/v1/agents/"+ag.ID, nil, nil))
	return ag
}

// twin is an integration like the others, made by the owner and not yet
// deployed, for a change to be made to two of them alike.
func (w *world) twin(name string) string {
	w.t.Helper()
	in, err := w.owner.api.CreateIntegration(w.ctx, json.RawMessage(fmt.Sprintf(`{"name": %q, "baseUrl": %q,
		"auth": {"type": "api_key", "location": "header", "key": "X-API-Key"}, "actions": [{"name": "Ping", "endpoint": "/ping"}]}`, name, w.up.URL)))
	w.must(err)
	return in.ID
}

// mustPost sends a dashboard form as m and fails unless it was accepted.
func (w *world) mustPost(m *member, path string, form url.Values) {
	w.t.Helper()
	_, code, body, _ := w.post(m, path, form)
	if code != http.StatusSeeOther && code != http.StatusOK && code != http.StatusCreated {
		w.t.Fatalf("POST %s: %d\n%s", path, code, excerpt(body))
	}
}

// connectionOf is the id of an integration's shared connection in env.
func (w *world) connectionOf(integrationID, env string) string {
	w.t.Helper()
	var out struct{ Connections []store.Connection }
	w.must(w.owner.api.Do(w.ctx, "GET", "/v1/integrations/"+integrationID+"/connections", nil, &out))
	for _, c := range out.Connections {
		if c.Environment == env && c.UserID == "" {
			return c.ID
		}
	}
	w.t.Fatalf("no shared %s connection of %s", env, integrationID)
	return ""
}

func (w *world) storedConnection(id string) store.Connection {
	w.t.Helper()
	c, err := w.srv.Server.Store.GetConnectionByID(w.ctx, id)
	w.must(err)
	return c
}

// lastWebhook is the id of the newest webhook called name.
func (w *world) lastWebhook(name string) string {
	w.t.Helper()
	var out struct{ Webhooks []struct{ ID, Name string } }
	w.must(w.owner.api.Do(w.ctx, "GET", "/v1/webhooks", nil, &out))
	id := ""
	for _, h := range out.Webhooks {
		if h.Name == name {
			id = h.ID
		}
	}
	return id
}

// lastAgent is the id of the newest agent called name.
func (w *world) lastAgent(name string) string {
	w.t.Helper()
	agents, err := w.owner.api.ListAgents(w.ctx)
	w.must(err)
	id := ""
	for _, a := range agents {
		if a.Name == name {
			id = a.ID
		}
	}
	return id
}

func (w *world) memberID(email string) string {
	w.t.Helper()
	var out struct{ Users []store.User }
	w.must(w.owner.api.Do(w.ctx, "GET", "/v1/users", nil, &out))
	for _, u := range out.Users {
		if u.Email == email {
			return u.ID
		}
	}
	w.t.Fatalf("no member %s", email)
	return ""
}

// lastAudit is the newest audit entry about an object.
func (w *world) lastAudit(targetID string) store.AuditEvent {
	w.t.Helper()
	var out struct{ Events []store.AuditEvent }
	w.must(w.owner.api.Do(w.ctx, "GET", "/v1/audit?limit=1&target="+url.QueryEscape(targetID), nil, &out))
	if len(out.Events) == 0 {
		w.t.Fatalf("no audit entry about %s", targetID)
	}
	return out.Events[0]
}

func detail(t *testing.T, e store.AuditEvent) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
		t.Fatalf("audit detail %q: %v", e.Detail, err)
	}
	return d
}

// servertestSignIn signs a member in to the dashboard with their password
// in a new browser.
func servertestSignIn(w *world, email string) (int, string, http.Header) {
	s := servertest.NewSite(w.t, w.srv.URL)
	s.Get("/signin")
	return s.Post("/signin", url.Values{"email": {email}, "password": {"a long enough password"}})
}
