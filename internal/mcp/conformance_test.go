package mcp_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/mcp"
)

// conformanceScenarios are the server scenarios of the MCP conformance
// suite that apply to a server of tools, at each revision they cover. The
// suite's other server scenarios exercise prompts, resources, sampling,
// elicitation or the test tools of its own example server.
var conformanceScenarios = []struct {
	scenario  string
	revisions []string
	// notApplicable are checks that may fail, by id, each with words the
	// suite's own message must contain: why it does not apply here.
	notApplicable map[string]string
}{
	{scenario: "server-initialize", revisions: []string{"2025-06-18", legacy}},
	{scenario: "ping", revisions: []string{"2025-06-18", legacy}},
	{scenario: "tools-list", revisions: []string{"2025-06-18", legacy, mcp.Revision2026}},
	{scenario: "logging-set-level", revisions: []string{"2025-06-18", legacy}},
	{scenario: "dns-rebinding-protection", revisions: []string{legacy, mcp.Revision2026}},
	{scenario: "server-session-lifecycle", revisions: []string{legacy}},
	{scenario: "http-header-validation", revisions: []string{mcp.Revision2026}},
	{scenario: "server-stateless", revisions: []string{mcp.Revision2026}, notApplicable: map[string]string{
		// These call test tools only the suite's example server has.
		"sep-2575-server-rejects-undeclared-capability":          "Not testable",
		"sep-2575-missing-capability-http-400":                   "Not testable",
		"sep-2575-http-server-no-independent-requests-on-stream": "Not testable",
		"sep-2575-server-no-log-without-loglevel":                "Not testable",
		// The suite changes the tool list through such a tool too.
		"sep-2575-server-sends-tools-list-changed-on-subscription": "Mutated the tool list",
	}},
	{scenario: "caching", revisions: []string{mcp.Revision2026}, notApplicable: map[string]string{
		// A server of tools declares neither prompts nor resources, and
		// on this revision answers their methods as unknown.
		"sep-2549-prompts-list-caching-hints":             "-32601",
		"sep-2549-resources-list-caching-hints":           "-32601",
		"sep-2549-resources-templates-list-caching-hints": "-32601",
	}},
}

// TestConformance runs the server scenarios of the MCP conformance suite
// (@modelcontextprotocol/conformance, pinned in testdata/package.json)
// that apply to a server of tools against a live server. The suite's
// client cannot send an agent key, so it goes through keyProxy, which adds
// it and changes nothing else (dns-rebinding-protection's foreign Host
// reaches the server as sent: the 4xx it sees is the server's host check,
// not a missing key).
func TestConformance(t *testing.T) {
	t.Parallel()
	node := node22(t)
	suite := nodePackage(t, filepath.Join("@modelcontextprotocol", "conformance", "dist", "index.js"))
	e := newEnv(t, "")
	a := e.agent(t, "conformance", client.AgentGrant{Integration: e.crm.Slug})
	base, _ := keyProxy(t, e.srv.URL, a.Key)
	for _, sc := range conformanceScenarios {
		for _, revision := range sc.revisions {
			t.Run(sc.scenario+"@"+revision, func(t *testing.T) {
				out := t.TempDir()
				// It exits 1 when a check fails; the checks say which.
				runNodeExiting(t, node, nil, 1, suite, "server", "--url", base+"/mcp", "--scenario", sc.scenario, "--spec-version", revision, "-o", out)
				checks := readChecks(t, out)
				passed := 0
				for _, c := range checks {
					switch {
					case c.Status == "SUCCESS":
						passed++
					case c.Status == "SKIPPED" || c.Status == "INFO":
					case sc.notApplicable[c.ID] != "" && strings.Contains(c.ErrorMessage, sc.notApplicable[c.ID]):
						t.Logf("does not apply: %s: %s", c.ID, c.ErrorMessage)
					default:
						t.Errorf("%s %s: %s %s", c.ID, c.Status, c.ErrorMessage, c.Details)
					}
				}
				if passed == 0 {
					t.Errorf("no check passed: %+v", checks)
				}
			})
		}
	}
}

type check struct {
	ID, Status, ErrorMessage string
	Details                  json.RawMessage
}

// readChecks reads the checks.json the suite wrote under dir.
func readChecks(t *testing.T, dir string) []check {
	t.Helper()
	var checks []check
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Name() != "checks.json" {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil {
			err = json.Unmarshal(b, &checks)
		}
		return err
	})
	if err != nil || len(checks) == 0 {
		t.Fatalf("no checks under %s: %v", dir, err)
	}
	return checks
}
