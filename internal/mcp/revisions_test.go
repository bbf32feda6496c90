package mcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/mcp"
	"github.com/plugboard/plugboard/internal/version"
)

// revisions are the two kinds of protocol revision /mcp serves: the
// stateless one, and the latest with sessions.
var revisions = []string{mcp.Revision2026, legacy}

// TestBothRevisions connects the go-sdk client once at each revision: it
// lists and calls tools, hears that its tools changed (on 2026-07-28 on a
// subscriptions/listen request, before it on the session's stream), and is
// told in words that a removed tool is gone.
func TestBothRevisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	for _, revision := range revisions {
		t.Run(revision, func(t *testing.T) {
			t.Parallel()
			a := e.agent(t, "agent at "+revision, client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"create_contact", "get_contact"}})
			changed := make(chan struct{}, 8)
			cs := e.mustConnectAt(t, a.Key, revision, &sdk.ClientOptions{
				ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) { changed <- struct{}{} },
			})
			init := cs.InitializeResult()
			if init.ProtocolVersion != revision || init.ServerInfo == nil || init.ServerInfo.Name != "plugboard" || init.ServerInfo.Version != version.String {
				t.Fatalf("negotiated %q with server %+v; want %q with plugboard %s", init.ProtocolVersion, init.ServerInfo, revision, version.String)
			}
			if tools := listTools(t, cs); len(tools) != 2 || tools["test_crm__create_contact"] == nil {
				t.Fatalf("tools = %v", tools)
			}
			res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__create_contact", Arguments: map[string]any{"name": "Rev " + revision, "email": "rev@example.com"}})
			if err != nil || res.IsError || res.StructuredContent.(map[string]any)["status"] != float64(201) {
				t.Fatalf("call: %v %s", err, text(res))
			}

			grants := []client.AgentGrant{{Integration: e.crm.Slug, Actions: []string{"get_contact", "list_contacts"}}}
			if _, err := e.srv.Client.UpdateAgent(e.ctx, a.ID, client.AgentInput{Tools: &grants}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, changed, "notifications/tools/list_changed after the grant edit")
			tools := listTools(t, cs)
			if len(tools) != 2 || tools["test_crm__list_contacts"] == nil || tools["test_crm__create_contact"] != nil {
				t.Fatalf("after the grant edit: %v", tools)
			}
			_, err = cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__create_contact", Arguments: map[string]any{"name": "Gone", "email": "gone@example.com"}})
			if err == nil || !strings.Contains(err.Error(), `Unknown tool "test_crm__create_contact": it was removed`) || !strings.Contains(err.Error(), "List the tools again") {
				t.Fatalf("a call of the removed tool: %v", err)
			}
		})
	}
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
	}
}

// TestStatelessRequestsAreAgentsNotSessions sends many stateless requests
// from two agents: each is served as its own agent (its tools, its
// idempotency scope, its name in the call log), none counts as a session,
// and nothing stays behind once they end. It does not run in parallel, so
// that the goroutines it counts are its own.
func TestStatelessRequestsAreAgentsNotSessions(t *testing.T) {
	e := newEnvWith(t, func(c *config.Config) { c.MetricsToken = metricsToken })
	reader := e.agent(t, "reader", client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"list_contacts"}})
	writer := e.agent(t, "writer", client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"create_contact", "list_contacts"}})
	round := func() {
		for _, a := range []*client.Agent{reader, writer} {
			cs := e.mustConnect(t, a.Key, nil)
			if got := cs.InitializeResult().ProtocolVersion; got != mcp.Revision2026 {
				t.Fatalf("negotiated %s", got)
			}
			if n := len(listTools(t, cs)); (a == reader && n != 1) || (a == writer && n != 2) {
				t.Fatalf("%s sees %d tools", a.Name, n)
			}
			res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__list_contacts", Arguments: map[string]any{},
				Meta: sdk.Meta{"idempotency_key": "same-key"}})
			if err != nil || res.IsError {
				t.Fatalf("%s call: %v %s", a.Name, err, text(res))
			}
			cs.Close()
		}
	}
	round()
	before := e.up.calls.Load()
	round()
	if n := e.up.calls.Load() - before; n != 0 {
		t.Errorf("repeats of each agent's idempotency key called the API %d times", n)
	}
	e.srv.Server.Recorder.Flush(e.ctx)
	actors := callLogActors(t, e)
	if len(actors) != 2 || actors[0] == actors[1] || !slices.Contains(actors, reader.ID) || !slices.Contains(actors, writer.ID) {
		t.Errorf("call log actors = %v, want one call by each of %s and %s", actors, reader.ID, writer.ID)
	}

	settled := sdkGoroutines()
	for range 20 {
		round()
	}
	if n := openSessions(t, e.srv); n != 0 {
		t.Errorf("stateless requests count as %d open sessions", n)
	}
	eventually(t, "the MCP goroutines of 80 stateless connections ending", func() bool { return sdkGoroutines() <= settled })
}

// sdkGoroutines counts the goroutines running MCP SDK code, the server's
// sessions and the test's clients.
func sdkGoroutines() int {
	buf := make([]byte, 1<<24)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "modelcontextprotocol/go-sdk") {
			n++
		}
	}
	return n
}

// callLogActors reads the actor of each call the MCP surface logged.
func callLogActors(t *testing.T, e *env) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/logs?source=mcp", nil)
	req.Header.Set("Authorization", "Bearer "+e.srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Logs []struct{ Actor string } }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	var actors []string
	for _, l := range out.Logs {
		actors = append(actors, l.Actor)
	}
	return actors
}

// rpc is one JSON-RPC request over HTTP at a revision, as a client
// library would send it (header adds name, value pairs), and the answer as
// the client reads it.
type rpc struct {
	status int
	header http.Header
	raw    string // the JSON-RPC message, out of its SSE event if need be
	msg    struct {
		Result map[string]json.RawMessage
		Error  *struct {
			Code    int
			Message string
			Data    json.RawMessage
		}
	}
}

func (e *env) rpc(t *testing.T, key, revision, method, params string, header ...string) *rpc {
	t.Helper()
	body := `{"jsonrpc": "2.0", "id": 7, "method": "` + method + `"` + map[bool]string{true: `, "params": ` + params, false: ""}[params != ""] + `}`
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/mcp", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", revision)
	if revision >= mcp.Revision2026 {
		req.Header.Set("Mcp-Method", method)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := &rpc{status: resp.StatusCode, header: resp.Header}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && data != "" {
				out.raw = data
				break
			}
		}
	} else {
		b, _ := io.ReadAll(resp.Body)
		out.raw = string(b)
	}
	if err := json.Unmarshal([]byte(out.raw), &out.msg); err != nil {
		t.Fatalf("%s at %s: %d %q is not JSON-RPC: %v", method, revision, out.status, out.raw, err)
	}
	return out
}

// stateless2026 is the _meta a request carries on the stateless revision.
const stateless2026 = `"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}`

// TestProtocolDetails checks what clients see of the protocol itself, on
// each revision, over raw HTTP.
func TestProtocolDetails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	a := e.agent(t, "raw", client.AgentGrant{Integration: e.crm.Slug})
	params := map[string]string{mcp.Revision2026: `{` + stateless2026 + `}`, legacy: `{}`}

	t.Run("an unknown method is JSON-RPC's method not found", func(t *testing.T) {
		for revision, want := range map[string]int{mcp.Revision2026: http.StatusNotFound, legacy: http.StatusOK} {
			r := e.rpc(t, a.Key, revision, "tools/frobnicate", params[revision])
			if r.status != want || r.msg.Error == nil || r.msg.Error.Code != -32601 || !strings.Contains(r.msg.Error.Message, "tools/frobnicate") {
				t.Errorf("at %s: %d %s", revision, r.status, r.raw)
			}
		}
	})

	t.Run("prompts, which the server does not declare, are unknown on the stateless revision", func(t *testing.T) {
		if r := e.rpc(t, a.Key, mcp.Revision2026, "prompts/list", params[mcp.Revision2026]); r.status != http.StatusNotFound || r.msg.Error == nil || r.msg.Error.Code != -32601 {
			t.Errorf("at %s: %d %s", mcp.Revision2026, r.status, r.raw)
		}
		// Clients of the revisions with sessions list everything whatever
		// the capabilities say, and get the SDK's empty list.
		if r := e.rpc(t, a.Key, legacy, "prompts/list", ""); r.status != http.StatusOK || r.msg.Error != nil || string(r.msg.Result["prompts"]) != "[]" {
			t.Errorf("at %s: %d %s", legacy, r.status, r.raw)
		}
	})

	t.Run("a protocol version the server does not speak is refused with the ones it does", func(t *testing.T) {
		r := e.rpc(t, a.Key, "2024-01-01", "tools/list", "")
		var data sdk.UnsupportedProtocolVersionData
		if r.status != http.StatusBadRequest || r.msg.Error == nil || r.msg.Error.Code != sdk.CodeUnsupportedProtocolVersion ||
			json.Unmarshal(r.msg.Error.Data, &data) != nil || !slices.Equal(data.Supported, mcp.Versions) || data.Requested != "2024-01-01" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		for _, v := range data.Supported {
			if !slices.Contains(sdk.SupportedProtocolVersions(), v) {
				t.Errorf("%s is listed but the SDK does not speak it", v)
			}
		}
		if !strings.Contains(r.msg.Error.Message, strings.Join(mcp.Versions, ", ")) {
			t.Errorf("message %q does not list the versions", r.msg.Error.Message)
		}
	})

	t.Run("cache hints are on the stateless revision's tool list only, private to the agent", func(t *testing.T) {
		modern := e.rpc(t, a.Key, mcp.Revision2026, "tools/list", params[mcp.Revision2026])
		var ttl int
		var scope string
		if json.Unmarshal(modern.msg.Result["ttlMs"], &ttl) != nil || ttl <= 0 || json.Unmarshal(modern.msg.Result["cacheScope"], &scope) != nil || scope != "private" {
			t.Errorf("2026-07-28 tools/list: %s", modern.raw)
		}
		old := e.rpc(t, a.Key, legacy, "tools/list", "")
		for _, field := range []string{"ttlMs", "cacheScope", "resultType", "_meta"} {
			if _, ok := old.msg.Result[field]; ok {
				t.Errorf("%s tools/list has %s: %s", legacy, field, old.raw)
			}
		}
		if _, ok := old.msg.Result["tools"]; !ok {
			t.Errorf("%s tools/list: %s", legacy, old.raw)
		}
	})

	t.Run("the stateless revision lists tools in name order, every time", func(t *testing.T) {
		var first []string
		for range 3 {
			r := e.rpc(t, a.Key, mcp.Revision2026, "tools/list", params[mcp.Revision2026])
			var tools []struct{ Name string }
			if err := json.Unmarshal(r.msg.Result["tools"], &tools); err != nil || len(tools) != 7 { // six actions and read_result
				t.Fatalf("%v: %s", err, r.raw)
			}
			var names []string
			for _, tool := range tools {
				names = append(names, tool.Name)
			}
			if !slices.IsSorted(names) || (first != nil && !slices.Equal(names, first)) {
				t.Fatalf("order %v, before %v", names, first)
			}
			first = names
		}
	})

	t.Run("server/discover answers on the stateless revision with the real version", func(t *testing.T) {
		r := e.rpc(t, a.Key, mcp.Revision2026, "server/discover", params[mcp.Revision2026])
		var versions []string
		var meta map[string]struct{ Name, Version string }
		if json.Unmarshal(r.msg.Result["supportedVersions"], &versions) != nil || !slices.Equal(versions, mcp.Versions) ||
			json.Unmarshal(r.msg.Result["_meta"], &meta) != nil || meta["io.modelcontextprotocol/serverInfo"].Version != version.String {
			t.Errorf("%d %s", r.status, r.raw)
		}
		if n := len(e.rpc(t, a.Key, mcp.Revision2026, "tools/list", params[mcp.Revision2026]).header.Values("Mcp-Session-Id")); n != 0 {
			t.Errorf("a stateless answer carries a session id")
		}
	})

	t.Run("a mismatched Mcp-Method header is refused on the stateless revision", func(t *testing.T) {
		r := e.rpc(t, a.Key, mcp.Revision2026, "tools/list", params[mcp.Revision2026], "Mcp-Method", "tools/call")
		if r.status != http.StatusBadRequest || r.msg.Error == nil || r.msg.Error.Code != sdk.CodeHeaderMismatch {
			t.Errorf("%d %s", r.status, r.raw)
		}
	})
}
