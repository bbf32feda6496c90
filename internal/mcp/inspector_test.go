package mcp_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/mcp"
)

// TestInspector lists and calls tools with the MCP Inspector's CLI
// (@modelcontextprotocol/inspector, pinned in testdata/package.json) in
// each of its protocol eras: modern (2026-07-28, stateless) and legacy
// (initialize and a session). Its --strict lint of the tool schemas must
// find no error, with a parameter of no type among them (the boolean
// schema true in a property's place is one).
func TestInspector(t *testing.T) {
	t.Parallel()
	node := node22(t)
	inspector := nodePackage(t, filepath.Join("@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js"))
	e := newEnv(t, "")
	messages := e.deployMessages(t)
	a := e.agent(t, "inspector", client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"create_contact", "get_contact", "list_contacts"}},
		client.AgentGrant{Integration: messages.Slug})
	for _, era := range []string{"modern", "legacy"} {
		t.Run(era, func(t *testing.T) {
			t.Parallel()
			// The proxy only watches: the Inspector sends the key itself.
			base, seen := keyProxy(t, e.srv.URL, "")
			cli := func(args ...string) []byte {
				return runNode(t, node, nil, append([]string{inspector, "--cli", base + "/mcp", "--transport", "http",
					"--header", "Authorization: Bearer " + a.Key, "--protocol-era", era, "--format", "json"}, args...)...)
			}
			var listed struct {
				Result struct {
					Tools []struct {
						Name        string
						InputSchema struct{ Required []string }
					}
				}
			}
			if out := cli("--method", "tools/list", "--strict"); json.Unmarshal(out, &listed) != nil || len(listed.Result.Tools) != 5 { // four actions and read_result
				t.Fatalf("tools/list: %s", out)
			}
			// Tools come in name order (read_result before test_crm__…).
			if tool := listed.Result.Tools[2]; tool.Name != "test_crm__create_contact" || len(tool.InputSchema.Required) != 2 {
				t.Errorf("first tool = %+v", tool)
			}
			var called struct {
				Result struct {
					IsError           bool
					StructuredContent struct {
						Status int
						Body   struct{ Name, Email string }
					}
				}
			}
			out := cli("--method", "tools/call", "--tool-name", "test_crm__create_contact", "--tool-args-json", `{"name": "Ines", "email": "ines@example.com"}`)
			if json.Unmarshal(out, &called) != nil || called.Result.IsError || called.Result.StructuredContent.Status != 201 || called.Result.StructuredContent.Body.Name != "Ines" {
				t.Fatalf("tools/call: %s", out)
			}
			switch era {
			case "modern":
				if !seen.has("server/discover") || seen.has("initialize") || !seen.version(mcp.Revision2026) || seen.sessions {
					t.Errorf("the modern era did not speak %s without a session: %+v", mcp.Revision2026, seen)
				}
			case "legacy":
				if !seen.has("initialize") || seen.version(mcp.Revision2026) || !seen.sessions {
					t.Errorf("the legacy era did not open a session: %+v", seen)
				}
			}
		})
	}
}
