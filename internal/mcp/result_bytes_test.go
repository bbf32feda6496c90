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

// githubIssues is a page of 100 issues shaped like GitHub's
// GET /repos/{owner}/{repo}/issues answer (the fields a client sees most).
func githubIssues() []map[string]any {
	var out []map[string]any
	for i := 1; i <= 100; i++ {
		user := map[string]any{"login": fmt.Sprintf("user%d", i%17), "id": 1000 + i%17, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false,
			"avatar_url": "https://avatars.githubusercontent.com/u/1?v=4", "html_url": "https://github.com/user", "url": "https://api.github.com/users/user",
			"followers_url": "https://api.github.com/users/user/followers", "repos_url": "https://api.github.com/users/user/repos"}
		out = append(out, map[string]any{
			"id": 2000000 + i, "node_id": "I_kwDOAbc", "number": i, "title": fmt.Sprintf("Crash when saving settings with an empty name (#%d)", i),
			"state": "open", "locked": false, "comments": i % 7, "user": user, "assignee": nil, "assignees": []any{},
			"labels":     []map[string]any{{"id": 1, "name": "bug", "color": "d73a4a", "default": true, "description": "Something isn't working"}},
			"url":        fmt.Sprintf("https://api.github.com/repos/o/r/issues/%d", i),
			"html_url":   fmt.Sprintf("https://github.com/o/r/issues/%d", i),
			"created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-20T10:00:00Z", "closed_at": nil, "author_association": "CONTRIBUTOR",
			"body":      strings.Repeat("Steps to reproduce: open the settings, clear the name, press save. The app crashes with a stack trace. ", 8),
			"reactions": map[string]any{"total_count": 3, "+1": 2, "-1": 0, "laugh": 0, "hooray": 0, "confused": 1, "heart": 0, "rocket": 0, "eyes": 0},
		})
	}
	return out
}

// TestResultBytesFigure prints the bytes an agent receives (the JSON of
// the tools/call result) for a large list call, whole and with a response
// selection, a byte budget, or both: the figures of docs/benchmarks.md.
//
//	go test -run TestResultBytesFigure -v ./internal/mcp/
func TestResultBytesFigure(t *testing.T) {
	t.Parallel()
	issues := githubIssues()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, issues) }))
	t.Cleanup(up.Close)
	e := newEnv(t, "")
	in, err := e.srv.Client.CreateIntegration(e.ctx, json.RawMessage(fmt.Sprintf(`{"name": "Issues", "baseUrl": %q, "actions": [
		{"key": "list", "name": "List Issues", "endpoint": "/issues"},
		{"key": "brief", "name": "List Issues Briefly", "endpoint": "/issues",
		 "response": {"select": "[.[] | {number, title, state, user: .user.login, labels: [.labels[].name], comments}]"}}]}`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Client.Deploy(e.ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	unbounded := e.agent(t, "no budget", client.AgentGrant{Integration: in.Slug})
	if err := e.srv.Client.Do(e.ctx, "PATCH", "/v1/agents/"+unbounded.ID, map[string]any{"max_result_bytes": 10 << 20}, nil); err != nil {
		t.Fatal(err)
	}
	budgeted := e.agent(t, "default budget", client.AgentGrant{Integration: in.Slug})
	small := e.agent(t, "4 KB budget", client.AgentGrant{Integration: in.Slug})
	if err := e.srv.Client.Do(e.ctx, "PATCH", "/v1/agents/"+small.ID, map[string]any{"max_result_bytes": 4096}, nil); err != nil {
		t.Fatal(err)
	}
	measure := func(key, tool string) int {
		cs := e.mustConnect(t, key, nil)
		res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: tool, Arguments: map[string]any{}})
		if err != nil || res.IsError {
			t.Fatalf("%s: %v %s", tool, err, text(res))
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		return len(b)
	}
	whole := measure(unbounded.Key, "issues__list")
	selected := measure(unbounded.Key, "issues__brief")
	budget := measure(budgeted.Key, "issues__list")
	both := measure(budgeted.Key, "issues__brief")
	bothSmall := measure(small.Key, "issues__brief")
	t.Logf("bytes an agent receives for 100 GitHub issues (tools/call result JSON):")
	t.Logf("  whole answer, no budget:              %7d", whole)
	t.Logf("  with a selection, no budget:          %7d", selected)
	t.Logf("  default budget (16 KB), no selection: %7d", budget)
	t.Logf("  selection and default budget:         %7d", both)
	t.Logf("  selection and a 4 KB budget:          %7d", bothSmall)
	// The result carries the body twice (text and structured content),
	// plus the note on how to read the rest.
	if selected*5 > whole || budget > 2*(16<<10)+4096 || both > budget || bothSmall > 2*4096+2048 {
		t.Errorf("figures out of line: whole %d, selected %d, budget %d, both %d, both with 4 KB %d", whole, selected, budget, both, bothSmall)
	}
}
