package mcp

import (
	"context"
	"fmt"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/store"
)

// toolSet is an SDK server that holds one agent's tools: a session's of
// the revisions with sessions, or every request's of an agent on the
// stateless revision. The SDK sends notifications/tools/list_changed to
// its clients when sync changes what it holds.
type toolSet struct {
	srv            *sdk.Server
	agentID, orgID string

	mu    sync.Mutex
	tools map[string]string   // name → Tool.Revision of the registered copy
	gone  map[string]struct{} // names removed while this set lived
	// hidden are the agent's tools while it is shown the search tools
	// instead: not listed, but called directly by name all the same.
	hidden map[string]struct{}
	// reader says read_result is registered: with the agent's first tool,
	// since any call may store a result too large for its budget.
	reader bool
}

// newToolSet makes the server of a tool set of ag with opts, and has it
// read the agent's tools afresh before each tools/list and before a call
// of a tool it does not hold.
func (s *Server) newToolSet(ag store.Agent, opts *sdk.ServerOptions) *toolSet {
	ts := &toolSet{
		srv: sdk.NewServer(s.implementation(), opts), agentID: ag.ID, orgID: ag.OrgID,
		tools: map[string]string{}, gone: map[string]struct{}{},
	}
	ts.srv.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
		return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
			switch r := req.(type) {
			case *sdk.ListToolsRequest:
				if err := s.syncFor(ctx, ts, req); err != nil {
					return nil, err
				}
			case *sdk.CallToolRequest:
				if r.Params != nil && !ts.holds(r.Params.Name) {
					if err := s.syncFor(ctx, ts, req); err != nil {
						return nil, err
					}
					if ts.hides(r.Params.Name) {
						return s.callHandler(r.Params.Name)(ctx, r)
					}
					if !ts.holds(r.Params.Name) {
						return nil, ts.unknown(r.Params.Name)
					}
				}
			}
			return next(ctx, method, req)
		}
	})
	return ts
}

// syncFor syncs ts with the tools of the agent req was verified as.
func (s *Server) syncFor(ctx context.Context, ts *toolSet, req sdk.Request) error {
	extra := req.GetExtra()
	if extra == nil {
		return nil
	}
	ag, ok := agentOf(extra.TokenInfo)
	if !ok {
		return nil
	}
	return s.sync(ctx, ts, ag)
}

// sync makes the set's registered tools the agent's current ones: its
// tools, or the search tools when it has too many (whose index it then
// brings up to date).
func (s *Server) sync(ctx context.Context, ts *toolSet, ag store.Agent) error {
	tools, err := s.cfg.Catalog.Tools(ctx, ag)
	if err != nil {
		return err
	}
	want := make(map[string]registered, len(tools))
	hidden := map[string]struct{}{}
	if s.cfg.Search.Searching(ag, len(tools)) {
		if err := s.cfg.Search.Index(ctx, ag, tools); err != nil {
			return err
		}
		for i := range tools {
			hidden[tools[i].Name] = struct{}{}
		}
		want = s.searchTools()
	} else {
		for i := range tools {
			t := &tools[i]
			want[t.Name] = registered{tool: t.MCP, revision: t.Revision(), handler: s.callHandler(t.Name)}
		}
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.hidden = hidden
	var gone []string
	for name := range ts.tools {
		if _, ok := want[name]; !ok {
			gone = append(gone, name)
			delete(ts.tools, name)
			ts.gone[name] = struct{}{}
		}
	}
	if len(want) == 0 && ts.reader {
		gone = append(gone, ReadResultTool)
		ts.reader = false
	}
	if len(gone) > 0 {
		ts.srv.RemoveTools(gone...)
	}
	if len(want) > 0 && !ts.reader {
		ts.srv.AddTool(readResultTool(), s.readResult)
		ts.reader = true
	}
	for name, r := range want {
		if ts.tools[name] == r.revision {
			continue
		}
		ts.srv.AddTool(r.tool(), r.handler)
		ts.tools[name] = r.revision
		delete(ts.gone, name)
	}
	return nil
}

// registered is a tool as sync registers it: what makes its definition
// (called only when the registered copy is out of date), the revision it
// is built from and its handler.
type registered struct {
	tool     func() *sdk.Tool
	revision string
	handler  sdk.ToolHandler
}

// hides reports whether name is one of the agent's tools while the search
// tools are listed instead.
func (ts *toolSet) hides(name string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	_, ok := ts.hidden[name]
	return ok
}

func (ts *toolSet) holds(name string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if name == ReadResultTool {
		return ts.reader
	}
	_, ok := ts.tools[name]
	return ok
}

// unknown is the answer to a call of a tool the agent does not have: the
// protocol error the specification gives for an unknown tool, in words a
// model can act on.
func (ts *toolSet) unknown(name string) error {
	ts.mu.Lock()
	_, removed := ts.gone[name]
	ts.mu.Unlock()
	msg := fmt.Sprintf("Unknown tool %q: this agent has no tool of that name; it may have been removed, or the agent's grants changed. List the tools again (tools/list) and call one of those.", name)
	if removed {
		msg = fmt.Sprintf("Unknown tool %q: it was removed from this agent's tools (its grant changed, or its integration was redeployed without it or deleted). List the tools again (tools/list) and call one of those.", name)
	}
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: msg}
}

// close ends the set's SDK sessions: a session of the revisions with
// sessions, whose client's next request is then answered 404 (initialize
// again), or the subscriptions/listen requests of a stateless client.
func (ts *toolSet) close() {
	for ss := range ts.srv.Sessions() {
		_ = ss.Close()
	}
}
