package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// The call log shows each member the entries they may see, through the API
// and the dashboard alike: none of an integration restricted to teams the
// member is not in, and none made through another member's personal
// connection. Before, every member saw every entry.
func TestCallLogShowsEachMemberWhatTheyMayUse(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		restricted := w.logOf(w.alice, w.ledger.ID) // shared connection, restricted integration
		personal := w.logOf(w.alice, w.open.ID)     // alice's personal connection
		shared := w.logOf(w.owner, w.open.ID)       // the owner has no personal one: shared
		byOthers := map[string]string{"restricted": restricted, "personal": personal}

		for _, c := range []struct {
			who     *member
			sees    []string
			notSees map[string]string
		}{
			{w.alice, []string{restricted, personal, shared}, nil},
			{w.bob, []string{shared}, byOthers},
			{w.viewer, []string{shared}, byOthers},
			{w.owner, []string{restricted, shared}, map[string]string{"personal": personal}},
		} {
			listed := w.listedLogs(c.who)
			for _, id := range c.sees {
				if !slices.Contains(listed, id) {
					t.Errorf("%s does not see log %s in GET /v1/logs", c.who.email, id)
				}
				if err := c.who.api.Do(w.ctx, "GET", "/v1/logs/"+id, nil, nil); err != nil {
					t.Errorf("%s: GET /v1/logs/%s: %v", c.who.email, id, err)
				}
				if code, _ := c.who.site.Get("/logs/" + id); code != http.StatusOK {
					t.Errorf("%s: the dashboard's /logs/%s answers %d", c.who.email, id, code)
				}
			}
			_, page := c.who.site.Get("/logs")
			for what, id := range c.notSees {
				if slices.Contains(listed, id) {
					t.Errorf("%s sees the %s entry %s in GET /v1/logs", c.who.email, what, id)
				}
				if got := rest(c.who.api.Do(w.ctx, "GET", "/v1/logs/"+id, nil, nil)); got.status != http.StatusNotFound {
					t.Errorf("%s reads the %s entry %s: %d", c.who.email, what, id, got.status)
				}
				if code, _ := c.who.site.Get("/logs/" + id); code != http.StatusNotFound {
					t.Errorf("%s reads the %s entry %s in the dashboard: %d", c.who.email, what, id, code)
				}
				if strings.Contains(page, id) {
					t.Errorf("%s sees the %s entry %s in the dashboard's call log", c.who.email, what, id)
				}
			}
		}
		// Filtering by an integration the member may not use is refused
		// as if it did not exist.
		if got := rest(w.bob.api.Do(w.ctx, "GET", "/v1/logs?integration="+w.ledger.ID, nil, nil)); got.status != http.StatusNotFound {
			t.Errorf("bob filters by Ledger: %d %s", got.status, got.text)
		}
	})
}

// logOf runs Ping of an integration as m and returns the call's log id.
func (w *world) logOf(m *member, integrationID string) string {
	w.t.Helper()
	res, err := m.api.Run(w.ctx, integrationID, "ping", client.RunInput{Params: map[string]any{}})
	w.must(err)
	w.srv.Server.Recorder.Flush(w.ctx)
	return res.LogID
}

func (w *world) listedLogs(m *member) []string {
	w.t.Helper()
	var out struct {
		Logs []struct{ ID string } `json:"logs"`
	}
	w.must(m.api.Do(w.ctx, "GET", "/v1/logs?limit=500", nil, &out))
	ids := make([]string, len(out.Logs))
	for i, l := range out.Logs {
		ids[i] = l.ID
	}
	return ids
}

// An agent acting for a member has that member's rights on every call: a
// grant for an integration the member may not use (made before it was
// restricted) lists no tools and runs nothing. A deleted integration's
// tools go, and a trigger that ran one stops with the reason.
func TestAgentsAndTriggersLoseWhatTheirMemberMayNotUse(t *testing.T) {
	t.Parallel()
	w := newWorld(t, store.SQLite)

	name := "for bob"
	cs := w.agentForBobOnLedger(client.AgentInput{Name: &name})
	tools := toolNames(t, cs)
	if slices.Contains(tools, "ledger__ping") || !slices.Contains(tools, "open__ping") {
		t.Fatalf("tools = %v, want Open's and none of Ledger's", tools)
	}
	calls := len(w.up.seen())
	if got := callTool(t, cs, "ledger__ping", nil); got.status != 0 || !strings.Contains(got.text, `Unknown tool "ledger__ping"`) {
		t.Errorf("calling Ledger's tool: %+v", got)
	}
	if n := len(w.up.seen()); n != calls {
		t.Errorf("the refused call reached the API")
	}

	// Deleting Open takes its tools away; a trigger running it stops.
	hook := w.webhook(w.alice.api, []map[string]any{{"integration": w.open.ID, "action": "ping"}})
	w.must(w.owner.api.DeleteIntegration(w.ctx, w.open.ID))
	// The session drops the tool as soon as it hears of the deletion; a
	// call that comes first is refused by the call's own check.
	if got := callTool(t, cs, "open__ping", nil); got.status != 0 ||
		!strings.Contains(got.text, `Unknown tool "open__ping"`) && !strings.Contains(got.text, "open__ping is no longer available to this agent") {
		t.Errorf("calling a deleted integration's tool: %+v", got)
	}
	if got := runRefusal(w.event(hook)); !strings.Contains(got.text, "dead") || !strings.Contains(got.text, "not found in this organization") {
		t.Errorf("a trigger of a deleted integration: %s", got.text)
	}
	if n := len(w.up.seen()); n != calls {
		t.Errorf("calls of a deleted integration reached the API")
	}
}

// Tool search knows what tools/list knows, no more: an agent in the search
// mode acting for a member finds, describes and calls no tool of an
// integration the member may not use.
func TestToolSearchRevealsOnlyWhatTheMemberMayUse(t *testing.T) {
	t.Parallel()
	w := newWorld(t, store.SQLite)
	search := "search"
	cs := w.agentForBobOnLedger(client.AgentInput{Name: &search, ToolMode: &search})
	if tools := toolNames(t, cs); !slices.Equal(tools, []string{"call_tool", "describe_tool", "read_result", "search_tools"}) {
		t.Fatalf("tools = %v", tools)
	}
	found := callTool(t, cs, "search_tools", map[string]any{"query": "ping ledger open"})
	if found.status != 200 || !strings.Contains(found.text, "open__ping") || strings.Contains(found.text, "ledger__ping") {
		t.Fatalf("search: %+v", found)
	}
	calls := len(w.up.seen())
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"describe_tool", map[string]any{"name": "ledger__ping"}},
		{"call_tool", map[string]any{"name": "ledger__ping"}},
	} {
		if got := callTool(t, cs, c.tool, c.args); got.status != 0 || !strings.Contains(got.text, `Unknown tool "ledger__ping"`) {
			t.Errorf("%s of Ledger's tool: %+v", c.tool, got)
		}
	}
	if got := callTool(t, cs, "ledger__ping", nil); got.status != 0 || !strings.Contains(got.text, `Unknown tool "ledger__ping"`) {
		t.Errorf("a direct call of Ledger's tool: %+v", got)
	}
	if n := len(w.up.seen()); n != calls {
		t.Errorf("a refused call reached the API")
	}
	if got := callTool(t, cs, "call_tool", map[string]any{"name": "open__ping"}); got.status != 200 {
		t.Errorf("call of Open's tool: %+v", got)
	}
}

// agentForBobOnLedger creates an agent from in with a grant on Open, adds a
// grant that runs as bob on Ledger, as stored before the rules (bob
// consented, the grant is his, but Ledger is now restricted to a team he
// is not in), and connects it over MCP until the test ends.
func (w *world) agentForBobOnLedger(in client.AgentInput) *sdk.ClientSession {
	w.t.Helper()
	in.Tools = &[]client.AgentGrant{{Integration: w.open.ID}}
	ag, err := w.owner.api.CreateAgentWith(w.ctx, in)
	w.must(err)
	stored, err := w.srv.Server.Store.GetAgent(w.ctx, w.orgID, ag.ID)
	w.must(err)
	stored.Grants = append(stored.Grants, store.Grant{IntegrationID: w.ledger.ID, RunAs: w.bob.id})
	_, err = w.srv.Server.Store.UpdateAgent(w.ctx, stored)
	w.must(err)
	cs, err := w.mcpSession(ag.Key)
	w.must(err)
	w.t.Cleanup(func() { cs.Close() })
	return cs
}
