package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store/storetest"
	"github.com/plugboard/plugboard/internal/worker/wire"
)

// surfaceCase is one rule tried through one surface: do makes the attempt
// and returns what the surface answered.
type surfaceCase struct {
	surface string
	do      func(t *testing.T) refusal
}

// TestEveryRuleHoldsOnEverySurface tries each rule through each surface
// that can reach it. Every surface must refuse with the same status class
// and the same words, and the refused attempt must change nothing in the
// store. The cases include each bypass an outside review found, as
// regression tests: triggers and SDK workers reaching an integration
// restricted to other teams, call logs showing restricted integrations and
// other members' personal connections, agents acting for a member without
// their consent, connection base URLs that were never validated on update,
// and revoked agents edited from the API.
func TestEveryRuleHoldsOnEverySurface(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		for _, rule := range w.rules() {
			t.Run(rule.name, func(t *testing.T) {
				for _, c := range rule.cases {
					t.Run(c.surface, func(t *testing.T) {
						before, calls := w.snapshot(), len(w.up.seen())
						got := c.do(t)
						if rule.status != 0 && got.status != rule.status {
							t.Errorf("status %d, want %d: %s", got.status, rule.status, excerpt(got.text))
						}
						if !strings.Contains(got.text, rule.says) {
							t.Errorf("the refusal does not say %q:\n%s", rule.says, excerpt(got.text))
						}
						if after := w.snapshot(); after != before && !rule.run {
							t.Errorf("the refused change touched the store:\nbefore %s\nafter  %s", before, after)
						}
						if n := len(w.up.seen()); n != calls {
							t.Errorf("the refused attempt reached the API %d times", n-calls)
						}
					})
				}
			})
		}
	})
}

// rule is one rule: the words and status every surface refuses with. A
// run (of a trigger) is an attempt that records itself whatever happens:
// for it what must not change is what the API saw.
type rule struct {
	name   string
	status int // 0: a status is not how this surface answers (MCP, runs)
	says   string
	run    bool
	cases  []surfaceCase
}

func (w *world) rules() []rule {
	ledgerNotFound := fmt.Sprintf("integration %q not found in this organization", w.ledger.ID)
	return []rule{
		{name: "a viewer may not build", status: http.StatusForbidden, says: `your role "viewer" may not build`, cases: []surfaceCase{
			{"rest", func(t *testing.T) refusal {
				_, err := w.viewer.api.CreateIntegration(w.ctx, json.RawMessage(`{"name": "X", "baseUrl": "https://x.example", "actions": [{"name": "A", "endpoint": "/a"}]}`))
				return rest(err)
			}},
			{"dashboard", func(t *testing.T) refusal {
				return page(w.post(w.viewer, "/integrations/new", url.Values{"name": {"X"}, "baseUrl": {"https://x.example"}, "auth.type": {"none"}}))
			}},
			{"trigger creation (rest)", func(t *testing.T) refusal {
				return rest(w.viewer.api.Do(w.ctx, "POST", "/v1/webhooks", map[string]any{"name": "x", "source": "standard"}, nil))
			}},
			{"trigger creation (dashboard)", func(t *testing.T) refusal {
				return page(w.post(w.viewer, "/webhooks", url.Values{"name": {"x"}, "source": {"standard"}}))
			}},
			{"worker registration", func(t *testing.T) refusal {
				return rest(w.viewer.api.Do(w.ctx, "POST", wire.PathRegister, w.registration("Viewer Worker"), nil))
			}},
		}},

		{name: "a restricted integration is not found outside its teams", status: http.StatusNotFound, says: ledgerNotFound, cases: []surfaceCase{
			{"rest run", func(t *testing.T) refusal {
				_, err := w.bob.api.Run(w.ctx, w.ledger.ID, "ping", client.RunInput{Params: map[string]any{}})
				return rest(err)
			}},
			{"dashboard test step", func(t *testing.T) refusal {
				return page(w.post(w.bob, "/integrations/"+w.ledger.ID+"/test", url.Values{"action": {"ping"}, "environment": {"sandbox"}}))
			}},
			{"dashboard page", func(t *testing.T) refusal { return get(w.bob.site, "/integrations/"+w.ledger.ID) }},
			{"rest connections", func(t *testing.T) refusal {
				_, err := w.bob.api.AddConnection(w.ctx, w.ledger.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"api_key": "k"}})
				return rest(err)
			}},
		}},
		{name: "a trigger may target only an integration its creator may use", status: http.StatusBadRequest, says: ledgerNotFound, cases: []surfaceCase{
			{"trigger creation (rest)", func(t *testing.T) refusal {
				return rest(w.bob.api.Do(w.ctx, "POST", "/v1/webhooks", map[string]any{"name": "sneaky", "source": "standard",
					"triggers": []map[string]any{{"integration": w.ledger.ID, "action": "ping"}}}, nil))
			}},
			{"trigger creation (dashboard)", func(t *testing.T) refusal {
				got := page(w.post(w.bob, "/webhooks/"+w.hook+"/triggers", url.Values{"tool": {w.ledger.ID + ":ping"}, "environment": {"sandbox"}}))
				got.status = map[int]int{http.StatusUnprocessableEntity: http.StatusBadRequest}[got.status]
				return got
			}},
		}},
		{name: "a trigger runs as its creator, who may lose the integration", run: true, says: "the trigger runs as alice@example.com: " + ledgerNotFound, cases: []surfaceCase{
			{"trigger run", func(t *testing.T) refusal {
				hook := w.webhook(w.alice.api, []map[string]any{{"integration": w.ledger.ID, "action": "post_entry", "params": map[string]any{"memo": "x"}}})
				w.must(w.owner.api.Do(w.ctx, "DELETE", "/v1/teams/"+w.team+"/members/"+w.alice.id, nil, nil))
				defer func() { w.must(w.owner.api.Do(w.ctx, "PUT", "/v1/teams/"+w.team+"/members/"+w.alice.id, nil, nil)) }()
				return runRefusal(w.event(hook))
			}},
		}},
		{name: "an SDK worker may serve only an integration its member may use", status: http.StatusForbidden, says: "restricted to teams you are not in", cases: []surfaceCase{
			{"worker registration", func(t *testing.T) refusal {
				return rest(w.bob.api.Do(w.ctx, "POST", wire.PathRegister, w.registration("Coded"), nil))
			}},
		}},
		{name: "a worker belongs to the key that registered it", status: http.StatusNotFound, says: "not registered in this organization with this API key", cases: []surfaceCase{
			{"worker poll", func(t *testing.T) refusal {
				return rest(w.alice.api.Do(w.ctx, "GET", wire.PathPoll+"?wait_ms=0&worker="+w.codeWorker, nil, nil))
			}},
			{"worker heartbeat", func(t *testing.T) refusal {
				return rest(w.alice.api.Do(w.ctx, "POST", wire.PathHeartbeat, wire.Heartbeat{Worker: w.codeWorker}, nil))
			}},
		}},

		{name: "another member's personal connection is not found", status: http.StatusNotFound, says: fmt.Sprintf("connection %q not found in this organization", w.alicesConn), cases: []surfaceCase{
			{"rest get", func(t *testing.T) refusal {
				return rest(w.bob.api.Do(w.ctx, "GET", "/v1/integrations/"+w.open.ID+"/connections/"+w.alicesConn, nil, nil))
			}},
			{"rest update", func(t *testing.T) refusal {
				return rest(w.bob.api.Do(w.ctx, "PUT", "/v1/integrations/"+w.open.ID+"/connections/"+w.alicesConn, map[string]any{"name": "mine"}, nil))
			}},
			{"rest delete", func(t *testing.T) refusal {
				return rest(w.bob.api.Do(w.ctx, "DELETE", "/v1/integrations/"+w.open.ID+"/connections/"+w.alicesConn, nil, nil))
			}},
			{"dashboard delete", func(t *testing.T) refusal {
				return page(w.post(w.bob, "/integrations/"+w.open.ID+"/connections/"+w.alicesConn+"/delete", url.Values{}))
			}},
			{"dashboard connect", func(t *testing.T) refusal {
				return page(w.post(w.bob, "/integrations/"+w.open.ID+"/connections/"+w.alicesConn+"/connect", url.Values{}))
			}},
		}},
		{name: "an agent acts for a member only with their consent", status: http.StatusBadRequest, says: "an agent may act for alice@example.com only if alice@example.com grants it", cases: []surfaceCase{
			{"rest", func(t *testing.T) refusal {
				_, err := w.owner.api.CreateAgent(w.ctx, "borrower", []client.AgentGrant{{Integration: w.open.ID, RunAs: w.alice.id}})
				return rest(err)
			}},
			{"rest edit", func(t *testing.T) refusal {
				tools := []client.AgentGrant{{Integration: w.open.ID, RunAs: w.alice.id}}
				return rest(w.owner.api.Do(w.ctx, "PATCH", "/v1/agents/"+w.agent.ID, client.AgentInput{Tools: &tools}, nil))
			}},
		}},

		{name: "the plan's limit holds", status: http.StatusForbidden, says: "the free plan allows 2 custom integrations", cases: []surfaceCase{
			{"rest create", func(t *testing.T) refusal {
				_, err := w.free.api.CreateIntegration(w.ctx, json.RawMessage(`{"name": "Third", "baseUrl": "https://x.example", "actions": [{"name": "A", "endpoint": "/a"}]}`))
				return rest(err)
			}},
			{"rest import", func(t *testing.T) refusal {
				doc := `{"openapi": "3.0.0", "info": {"title": "T", "version": "1"}, "servers": [{"url": "https://t.example"}], "paths": {"/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}}}}`
				return rest(w.free.api.Do(w.ctx, "POST", "/v1/integrations/import", map[string]any{"openapi": json.RawMessage(doc)}, nil))
			}},
			{"dashboard", func(t *testing.T) refusal {
				m := w.free
				draft := `{"name": "Third", "baseUrl": "https://x.example", "auth": {"type": "none"}}`
				return page(w.post(m, "/integrations/new/action", url.Values{"draft": {draft}, "name": {"A"}, "method": {"GET"}, "endpoint": {"/a"}}))
			}},
			{"worker registration", func(t *testing.T) refusal {
				return rest(w.free.api.Do(w.ctx, "POST", wire.PathRegister, w.registration("Coded Third"), nil))
			}},
		}},

		{name: "a base URL must be http(s)", status: http.StatusBadRequest, says: "must be an absolute http(s) URL without credentials", cases: []surfaceCase{
			{"rest create", func(t *testing.T) refusal {
				_, err := w.alice.api.AddConnection(w.ctx, w.open.ID, client.ConnectionInput{Environment: "production", Credentials: map[string]string{"api_key": "k"}, BaseURL: "gopher://internal:70/"})
				return rest(err)
			}},
			{"rest update", func(t *testing.T) refusal {
				return rest(w.alice.api.Do(w.ctx, "PUT", "/v1/integrations/"+w.open.ID+"/connections/"+w.alicesConn, map[string]any{"base_url": "javascript:alert(1)"}, nil))
			}},
			{"dashboard", func(t *testing.T) refusal {
				got := page(w.post(w.alice, "/integrations/"+w.open.ID+"/connections",
					url.Values{"environment": {"sandbox"}, "personal": {"1"}, "api_key": {"k"}, "base_url": {"gopher://internal:70/"}}))
				got.status = map[int]int{http.StatusUnprocessableEntity: http.StatusBadRequest}[got.status]
				return got
			}},
		}},
		{name: "a definition is checked field by field", status: http.StatusBadRequest, says: `"ftp://x.example" is not an absolute http(s) URL`, cases: []surfaceCase{
			{"rest", func(t *testing.T) refusal {
				_, err := w.alice.api.CreateIntegration(w.ctx, json.RawMessage(`{"name": "Bad", "baseUrl": "ftp://x.example", "actions": [{"name": "A", "endpoint": "/a"}]}`))
				return rest(err)
			}},
			{"dashboard", func(t *testing.T) refusal {
				got := page(w.post(w.alice, "/integrations/new", url.Values{"name": {"Bad"}, "baseUrl": {"ftp://x.example"}, "auth.type": {"none"}}))
				got.status = map[int]int{http.StatusUnprocessableEntity: http.StatusBadRequest}[got.status]
				return got
			}},
		}},
		{name: "a trigger's expression must compile", status: http.StatusBadRequest, says: "when: expected name (1:7)", cases: []surfaceCase{
			{"rest", func(t *testing.T) refusal {
				return rest(w.alice.api.Do(w.ctx, "POST", "/v1/webhooks", map[string]any{"name": "bad", "source": "standard",
					"triggers": []map[string]any{{"when": "event.(", "integration": w.open.ID, "action": "ping"}}}, nil))
			}},
			{"dashboard", func(t *testing.T) refusal {
				got := page(w.post(w.alice, "/webhooks/"+w.hook+"/triggers", url.Values{"when": {"event.("}, "tool": {w.open.ID + ":ping"}, "environment": {"sandbox"}}))
				got.status = map[int]int{http.StatusUnprocessableEntity: http.StatusBadRequest}[got.status]
				return got
			}},
		}},
		{name: "an invitation needs an email address", status: http.StatusBadRequest, says: "must be an email address like ada@example.com", cases: []surfaceCase{
			{"rest", func(t *testing.T) refusal {
				return rest(w.owner.api.Do(w.ctx, "POST", "/v1/users", map[string]string{"email": "not-an-address", "role": "developer"}, nil))
			}},
			{"dashboard", func(t *testing.T) refusal {
				got := page(w.post(w.owner, "/members", url.Values{"email": {"not-an-address"}, "role": {"developer"}}))
				got.status = map[int]int{http.StatusUnprocessableEntity: http.StatusBadRequest}[got.status]
				return got
			}},
		}},

		{name: "a name may not hold a NUL byte", status: http.StatusBadRequest, says: "contains a NUL byte at character 4", cases: w.nameCases("bad\x00name")},
		{name: "a name may not be a megabyte long", status: http.StatusBadRequest, says: "is 1048576 characters long; keep it to 100", cases: w.nameCases(strings.Repeat("n", 1<<20))},
		{name: "a revoked agent cannot change", says: "was revoked; create a new agent instead", cases: []surfaceCase{
			{"rest edit", func(t *testing.T) refusal {
				name := "renamed"
				return rest(w.owner.api.Do(w.ctx, "PATCH", "/v1/agents/"+w.revoked.ID, client.AgentInput{Name: &name}, nil))
			}},
			{"rest rotate", func(t *testing.T) refusal {
				return rest(w.owner.api.Do(w.ctx, "POST", "/v1/agents/"+w.revoked.ID+"/rotate-key", nil, nil))
			}},
			{"dashboard tools", func(t *testing.T) refusal {
				return page(w.post(w.owner, "/agents/"+w.revoked.ID+"/tools", url.Values{"grant": {w.open.ID}}))
			}},
			{"dashboard rotate", func(t *testing.T) refusal {
				return page(w.post(w.owner, "/agents/"+w.revoked.ID+"/rotate", url.Values{}))
			}},
			{"mcp", func(t *testing.T) refusal {
				if _, err := w.mcpSession(w.revoked.Key); err == nil {
					t.Fatal("a revoked agent's key opened an MCP session")
				}
				return refusal{text: "agent \"revoked\" was revoked; create a new agent instead"}
			}},
		}},
	}
}

// nameCases gives name to everything a member names, on every surface
// that names it: the one rule for names must refuse it everywhere alike.
func (w *world) nameCases(name string) []surfaceCase {
	invalid := func(r refusal) refusal {
		if r.status == http.StatusUnprocessableEntity {
			r.status = http.StatusBadRequest
		}
		return r
	}
	def := func(name string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"name": name, "baseUrl": "https://x.example", "actions": []map[string]any{{"name": "A", "endpoint": "/a"}}})
		return b
	}
	return []surfaceCase{
		{"webhook (rest)", func(t *testing.T) refusal {
			return rest(w.alice.api.Do(w.ctx, "POST", "/v1/webhooks", map[string]any{"name": name, "source": "standard"}, nil))
		}},
		{"webhook (dashboard)", func(t *testing.T) refusal {
			return invalid(page(w.post(w.alice, "/webhooks", url.Values{"name": {name}, "source": {"standard"}})))
		}},
		{"webhook rename (rest)", func(t *testing.T) refusal {
			return rest(w.owner.api.Do(w.ctx, "PATCH", "/v1/webhooks/"+w.hook, map[string]any{"name": name}, nil))
		}},
		{"agent (rest)", func(t *testing.T) refusal {
			return rest(w.owner.api.Do(w.ctx, "POST", "/v1/agents", client.AgentInput{Name: &name}, nil))
		}},
		{"agent (dashboard)", func(t *testing.T) refusal {
			return invalid(page(w.post(w.owner, "/agents", url.Values{"name": {name}})))
		}},
		{"agent rename (rest)", func(t *testing.T) refusal {
			return rest(w.owner.api.Do(w.ctx, "PATCH", "/v1/agents/"+w.agent.ID, client.AgentInput{Name: &name}, nil))
		}},
		{"team (rest)", func(t *testing.T) refusal {
			return rest(w.owner.api.Do(w.ctx, "POST", "/v1/teams", map[string]any{"name": name}, nil))
		}},
		{"api key (rest)", func(t *testing.T) refusal {
			return rest(w.alice.api.Do(w.ctx, "POST", "/v1/keys", map[string]any{"name": name}, nil))
		}},
		{"organization (rest)", func(t *testing.T) refusal {
			return rest(w.owner.api.Do(w.ctx, "PATCH", "/v1/org", map[string]any{"name": name}, nil))
		}},
		{"organization (dashboard)", func(t *testing.T) refusal {
			return invalid(page(w.post(w.owner, "/settings", url.Values{"name": {name}})))
		}},
		{"member (rest)", func(t *testing.T) refusal {
			return rest(w.owner.api.Do(w.ctx, "POST", "/v1/users", map[string]string{"email": "named@example.com", "name": name, "role": "developer"}, nil))
		}},
		{"member (dashboard)", func(t *testing.T) refusal {
			return invalid(page(w.post(w.owner, "/members", url.Values{"email": {"named@example.com"}, "name": {name}, "role": {"developer"}})))
		}},
		{"integration (rest)", func(t *testing.T) refusal {
			_, err := w.alice.api.CreateIntegration(w.ctx, def(name))
			return rest(err)
		}},
		{"integration (dashboard)", func(t *testing.T) refusal {
			return invalid(page(w.post(w.alice, "/integrations/new", url.Values{"name": {name}, "baseUrl": {"https://x.example"}, "auth.type": {"none"}})))
		}},
		{"connection (rest)", func(t *testing.T) refusal {
			_, err := w.alice.api.AddConnection(w.ctx, w.open.ID, client.ConnectionInput{Environment: "production", Name: name, Credentials: map[string]string{"api_key": "k"}})
			return rest(err)
		}},
		{"worker registration", func(t *testing.T) refusal {
			reg := w.registration("Named")
			reg.Worker.Name = name
			return rest(w.alice.api.Do(w.ctx, "POST", wire.PathRegister, reg, nil))
		}},
	}
}

// post sends a dashboard form as m.
func (w *world) post(m *member, path string, form url.Values) (*servertest.Site, int, string, http.Header) {
	m.site.Get("/") // a page, for the form's token
	code, body, h := m.site.Post(path, form)
	return m.site, code, body, h
}

// excerpt is a page's main content, or the start of any other text.
func excerpt(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}
