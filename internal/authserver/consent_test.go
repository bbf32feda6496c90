package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// session opens an MCP session with an access token.
func (f *fixture) session(token string) *sdk.ClientSession {
	f.t.Helper()
	c := sdk.NewClient(&sdk.Implementation{Name: "holder", Version: "1"}, nil)
	cs, err := c.Connect(f.ctx, &sdk.StreamableClientTransport{
		Endpoint: f.srv.URL + "/mcp", HTTPClient: &http.Client{Transport: servertest.Bearer(token)}, MaxRetries: -1,
	}, &sdk.ClientSessionOptions{ProtocolVersion: "2025-11-25"}) // a revision with sessions: their ending is what some tests check
	if err != nil {
		f.t.Fatalf("open an MCP session: %v", err)
	}
	f.t.Cleanup(func() { cs.Close() })
	return cs
}

// Consent narrower than the client asked for is what the app gets: one
// action instead of all, the sandbox instead of automatic, and no refresh
// token when the person does not let it stay connected.
func TestConsentNarrowerThanAsked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.Options{})
	a := f.register(nil)
	tok := a.connect(f.browser(), func(page string, form url.Values) {
		if form.Get("offline") != "on" || len(form["grant"]) != 1 {
			t.Fatalf("the screen did not start from everything the client asked for: %v", form)
		}
		id := form.Get("grant")
		form.Del("grant")
		form.Del("offline")
		form.Set("action", id+":list_contacts")
		form.Set("env:"+id, "sandbox")
		form.Set("decision", "approve")
	})
	if tok.Scope != "mcp:tools" || tok.RefreshToken != "" {
		t.Fatalf("token = %+v; want mcp:tools alone and no refresh token", tok)
	}
	cs := f.session(tok.AccessToken)
	if got := strings.Join(toolNames(t, cs), ","); got != "crm__list_contacts" {
		t.Fatalf("tools = %s; want only the one action approved", got)
	}
	if env := callEnvironment(t, cs, "crm__list_contacts"); env != "sandbox" {
		t.Fatalf("the call reached %q; the person chose the sandbox", env)
	}
	calls := f.upstream.calls.Load()
	res, err := cs.CallTool(f.ctx, &sdk.CallToolParams{Name: "crm__create_contact", Arguments: map[string]any{"name": "x"}})
	if err == nil && !res.IsError {
		t.Fatal("an action the person did not approve was called")
	}
	if f.upstream.calls.Load() != calls {
		t.Fatal("the API was reached by an action the person did not approve")
	}

	// The trail names the app and the person who connected it.
	connect := f.audit("app.connect")
	if len(connect) != 1 || connect[0].ActorUserID != f.personID || !strings.Contains(connect[0].Detail, a.id) || !strings.Contains(connect[0].Detail, `"actions":["list_contacts"]`) {
		t.Fatalf("audit of the connection = %+v", connect)
	}
}

// The app acts as its person: their personal connection is preferred,
// and their team rights decide what it sees.
func TestConnectedAppActsAsItsPerson(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.Options{})
	if _, err := f.personAPI.AddConnection(f.ctx, f.crm.ID, client.ConnectionInput{
		Environment: "production", Personal: true, Credentials: map[string]string{"api_key": "personal-key"},
	}); err != nil {
		t.Fatal(err)
	}
	cs := f.session(f.register(nil).connect(f.browser(), approveAll).AccessToken)
	if env := callEnvironment(t, cs, "crm__list_contacts"); env != "the person's own production" {
		t.Fatalf("the call used the %q connection; want the person's own", env)
	}

	var team struct{ ID string }
	if err := f.srv.Client.Do(f.ctx, "POST", "/v1/teams", map[string]string{"name": "finance"}, &team); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Client.Do(f.ctx, "PUT", "/v1/integrations/"+f.crm.ID+"/teams", map[string]any{"teams": []string{team.ID}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := toolNames(t, cs); len(got) != 0 {
		t.Fatalf("tools = %v after the integration was restricted to a team the person is not in", got)
	}
}

// Disconnecting an app in the dashboard stops it at once: its token is
// refused on the next request and its open session ends.
func TestRevokedConnectedApp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.Options{})
	a := f.register(map[string]any{"client_name": "Doomed Desktop"})
	tok := a.connect(f.browser(), approveAll)
	cs := f.session(tok.AccessToken)
	toolNames(t, cs)

	site := f.browser()
	signIn(t, site)
	_, page := site.Get("/apps")
	id := between(page, `action="/apps/`, `/revoke"`)
	if id == "" || !strings.Contains(page, "Doomed Desktop") {
		t.Fatalf("the app is not listed:\n%s", page)
	}
	if code, body, _ := site.Post("/apps/"+id+"/revoke", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Fatalf("a revocation without the form's token answered %d\n%s", code, body)
	}
	if code, body, _ := site.Post("/apps/"+id+"/revoke", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", code, body)
	}
	f.wantMCP(tok.AccessToken, http.StatusUnauthorized, "disconnected")
	if r := a.refresh(tok.RefreshToken); r.Error != "invalid_grant" {
		t.Fatalf("refresh after the app was disconnected = %+v", r)
	}
	ended := make(chan error, 1)
	go func() { ended <- cs.Wait() }()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the app's open session did not end when it was disconnected")
	}
	if _, page := site.Get("/apps"); !strings.Contains(page, "disconnected") {
		t.Fatalf("the list does not show the app disconnected:\n%s", page)
	}
	if revoke := f.audit("app.revoke"); len(revoke) != 1 || revoke[0].ActorUserID != f.personID || revoke[0].TargetID != id {
		t.Fatalf("audit of the revocation = %+v", revoke)
	}
}

// between is the text of s between the first before and the after that
// follows it.
func between(s, before, after string) string {
	_, rest, ok := strings.Cut(s, before)
	if !ok {
		return ""
	}
	out, _, _ := strings.Cut(rest, after)
	return out
}
