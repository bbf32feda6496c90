package mcp_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

const metricsToken = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

var sessionsGauge = regexp.MustCompile(`(?m)^plugboard_mcp_sessions (\d+)$`)

// openSessions reads the gauge of open MCP sessions from /metrics.
func openSessions(t *testing.T, srv *servertest.Instance) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := sessionsGauge.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no plugboard_mcp_sessions gauge in /metrics (%d)", resp.StatusCode)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// eventually polls cond until it holds or ten seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen", what)
		}
	}
}

// legacy is the latest revision with sessions.
const legacy = "2025-11-25"

func TestSessionsPerAgentAreCapped(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, func(c *config.Config) { c.MetricsToken, c.MCPSessionsPerAgent = metricsToken, 2 })
	other := e.mustConnectAt(t, e.agent(t, "other").Key, legacy, nil)
	key := e.agent(t, "busy").Key
	first := e.mustConnectAt(t, key, legacy, nil)
	second := e.mustConnectAt(t, key, legacy, nil)
	third := e.mustConnectAt(t, key, legacy, nil) // one more than the cap: the oldest goes
	eventually(t, "closing the agent's oldest session", func() bool {
		_, err := first.ListTools(context.Background(), nil)
		return err != nil
	})
	for name, cs := range map[string]*sdk.ClientSession{"second": second, "third": third, "another agent's": other} {
		if _, err := cs.ListTools(context.Background(), nil); err != nil {
			t.Fatalf("the %s session: %v", name, err)
		}
	}
	eventually(t, "the gauge showing 3 sessions", func() bool { return openSessions(t, e.srv) == 3 })
}

func TestIdleSessionsEnd(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, func(c *config.Config) { c.MetricsToken, c.MCPSessionIdle = metricsToken, 2*time.Second })
	cs := e.mustConnectAt(t, e.agent(t, "idle").Key, legacy, nil)
	// The idle timeout is long enough for a loaded machine to see the
	// session counted before it ends.
	eventually(t, "the gauge counting the open session", func() bool { return openSessions(t, e.srv) == 1 })
	eventually(t, "the idle session ending", func() bool { return openSessions(t, e.srv) == 0 })
	if _, err := cs.ListTools(context.Background(), nil); err == nil {
		t.Fatal("the idle session still answers")
	}
}

// newEnvWith is newEnv on SQLite with the server's configuration changed.
func newEnvWith(t *testing.T, configure func(*config.Config)) *env {
	t.Helper()
	return newEnvOpts(t, servertest.Options{Engine: store.SQLite, Configure: configure})
}
