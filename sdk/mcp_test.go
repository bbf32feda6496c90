package sdk_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	mcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// agentKey adds an agent's key to every MCP request.
type agentKey string

func (k agentKey) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(k))
	return http.DefaultTransport.RoundTrip(r)
}

// TestMCPToolsRunOnWorker: a deployed code integration is an agent's set
// of MCP tools like any other, and calling one runs the action on the
// worker, in production, with the production connection's key.
func TestMCPToolsRunOnWorker(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		inst := servertest.Start(t, servertest.Options{Engine: engine})
		api := newToolAPI(t)
		ctx := context.Background()
		capt, _ := startWorker(t, inst, customTool("Custom Tool", api.URL))
		in, err := inst.Client.GetIntegration(ctx, "custom_tool")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inst.Client.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "production", Credentials: map[string]string{"api_key": upstreamKey}}); err != nil {
			t.Fatal(err)
		}
		if _, err := inst.Client.Deploy(ctx, in.ID); err != nil {
			t.Fatal(err)
		}
		agent, err := inst.Client.CreateAgent(ctx, "support bot", []client.AgentGrant{{Integration: in.ID}})
		if err != nil {
			t.Fatal(err)
		}
		c := mcp.NewClient(&mcp.Implementation{Name: "sdk-test", Version: "1"}, nil)
		cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{
			Endpoint: inst.URL + "/mcp", HTTPClient: &http.Client{Transport: agentKey(agent.Key)}, MaxRetries: -1,
		}, nil)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer cs.Close()

		tools := map[string]*mcp.Tool{}
		for tool, err := range cs.Tools(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			tools[tool.Name] = tool
		}
		fetch, ok := tools["custom_tool__fetch_data"]
		if !ok || tools["custom_tool__create_record"] == nil {
			t.Fatalf("tools = %v", keys(tools))
		}
		if schema := jsonText(t, fetch.InputSchema); !strings.Contains(schema, `"user_id"`) || !strings.Contains(schema, "the user to fetch") {
			t.Fatalf("fetch_data input schema = %s", schema)
		}

		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "custom_tool__fetch_data", Arguments: map[string]any{"user_id": "u7"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.IsError || !strings.Contains(toolText(res), "Ada Lovelace") || !strings.Contains(toolText(res), `"u7"`) {
			t.Fatalf("fetch_data over MCP: error=%v %s", res.IsError, toolText(res))
		}
		res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "custom_tool__create_record", Arguments: map[string]any{"title": "fail"}})
		if err != nil {
			t.Fatal(err)
		}
		if !res.IsError || !strings.Contains(toolText(res), `title "fail" is reserved`) {
			t.Fatalf("an action error over MCP: error=%v %s", res.IsError, toolText(res))
		}
		if api.keysSeen.Load() == 0 || strings.Contains(capt.String(), upstreamKey) {
			t.Fatalf("the API saw the key %d times; the worker's traffic has it: %v", api.keysSeen.Load(), strings.Contains(capt.String(), upstreamKey))
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func toolText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}
