package mcp_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/store"
)

// npmInstall is how the second client's packages get installed; .ci/setup
// runs it for every testdata/package.json.
const npmInstall = "npm ci --prefix internal/mcp/testdata"

// TestTypeScriptClient checks the server with an MCP client written by
// others: the official TypeScript SDK, pinned in testdata/package.json.
func TestTypeScriptClient(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("testdata", "node_modules", "@modelcontextprotocol", "sdk", "package.json"))
	}
	if err != nil {
		msg := "the TypeScript MCP client is not installed (" + err.Error() + "); install Node.js and run `" + npmInstall + "` from the repository root"
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		t.Fatal(err)
	}

	e := newEnv(t, store.SQLite)
	a := e.agent(t, "typescript", client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"create_contact", "get_contact"}})
	cmd := exec.CommandContext(t.Context(), node, "check-client.mjs")
	cmd.Dir = "testdata"
	cmd.Env = append(os.Environ(),
		"PLUGBOARD_MCP_URL="+e.srv.URL+"/mcp", "PLUGBOARD_AGENT_KEY="+a.Key, "PLUGBOARD_TOOL=test_crm__create_contact",
		`PLUGBOARD_TOOL_ARGS={"name": "Tess", "email": "tess@example.com", "tier": "pro"}`, "PLUGBOARD_IDEMPOTENCY_KEY=ts-1")
	before := e.up.calls.Load()
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("node: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var seen struct {
		Server   struct{ Name string }
		Protocol string
		Tools    []struct {
			Name        string
			InputSchema struct {
				Required []string
			}
			Annotations map[string]any
		}
		First, Repeat, Missing struct {
			IsError           bool
			Content           []struct{ Type, Text string }
			StructuredContent map[string]any
			Meta              map[string]any `json:"_meta"`
		}
	}
	if err := json.Unmarshal(out, &seen); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if seen.Server.Name != "plugboard" || seen.Protocol == "" {
		t.Errorf("server %q, protocol %q", seen.Server.Name, seen.Protocol)
	}
	if len(seen.Tools) != 2 || seen.Tools[0].Name != "test_crm__create_contact" || strings.Join(seen.Tools[0].InputSchema.Required, ",") != "name,email" ||
		seen.Tools[1].Annotations["readOnlyHint"] != true {
		t.Errorf("tools = %+v", seen.Tools)
	}
	body, _ := seen.First.StructuredContent["body"].(map[string]any)
	if seen.First.IsError || seen.First.StructuredContent["status"] != float64(201) || body["tier"] != "pro" || len(seen.First.Content) == 0 {
		t.Errorf("first call = %+v", seen.First)
	}
	if seen.Repeat.Meta["idempotent_replay"] != true || e.up.calls.Load()-before != 1 {
		t.Errorf("repeat = %+v after %d API calls", seen.Repeat, e.up.calls.Load()-before)
	}
	if !seen.Missing.IsError || len(seen.Missing.Content) == 0 || !strings.Contains(seen.Missing.Content[0].Text, "email") {
		t.Errorf("call without arguments = %+v", seen.Missing)
	}
}
