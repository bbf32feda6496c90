package openapi

import (
	"encoding/json"
	"testing"

	"github.com/plugboard/plugboard/internal/agent"
)

// TestGitHubOutputSchemaBytes prints what the response schemas kept by an
// import add to the MCP tool definitions of GitHub's whole REST API (the
// figure in docs/benchmarks.md):
//
//	go test -run TestGitHubOutputSchemaBytes -v ./internal/openapi/
func TestGitHubOutputSchemaBytes(t *testing.T) {
	t.Parallel()
	def, _ := mustImport(t, publicDocument(t, githubREST), Options{})
	with, without, kept := 0, 0, 0
	for i := range def.Actions {
		tool := (&agent.Tool{Name: "github__" + def.Actions[i].Key, Definition: def, Action: &def.Actions[i]}).MCP()
		b, _ := json.Marshal(tool)
		with += len(b)
		if tool.OutputSchema != nil {
			kept++
			tool.OutputSchema = nil
		}
		b, _ = json.Marshal(tool)
		without += len(b)
	}
	t.Logf("%d tools, %d with an output schema: %d bytes, %d without output schemas (+%.0f%%)",
		len(def.Actions), kept, with, without, 100*float64(with-without)/float64(without))
	if kept < 300 || with > without*13/10 {
		t.Errorf("%d output schemas adding %d bytes to %d", kept, with-without, without)
	}
}
