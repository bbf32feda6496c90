package mcp

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// On the stateless revision the SDK makes a session for each request and
// closes it when the request ends; none is counted against the agent's
// cap, and nothing outlives the request but the agent's server. The
// requests of one agent share that server, which holds its tools: a
// subscriptions/listen request hears of changes to it, and a tools/call
// needs no fresh copy of the agent's tools. It is dropped a while after
// the agent's last request ends, so that memory follows the agents active
// now, not every agent seen since the start.

// agentIdle is how long an agent's server outlives its last request
// (Server.agentIdle, which tests shorten).
const agentIdle = time.Minute

// agentServer is one agent's server for stateless requests.
type agentServer struct {
	*toolSet
	refs int         // requests being served; guarded by Server.mu
	idle *time.Timer // drops the server once refs has stayed 0; guarded by Server.mu
}

type agentServerKey struct{}

// serveStateless serves a request of the stateless revision with the
// agent's server; id is the request's, for an error.
func (s *Server) serveStateless(w http.ResponseWriter, r *http.Request, id any) {
	ag, ok := agentOf(auth.TokenInfoFromContext(r.Context()))
	if !ok {
		http.Error(w, "no agent", http.StatusUnauthorized)
		return
	}
	as, err := s.acquire(ag.ID, func() (*toolSet, error) {
		ts := s.newToolSet(ag, s.serverOptions())
		ts.srv.AddReceivingMiddleware(declaredOnly)
		return ts, s.sync(r.Context(), ts, ag)
	})
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "load an agent's MCP tools", "agent", ag.ID, "error", err)
		writeError(w, http.StatusServiceUnavailable, id, &jsonrpc.Error{
			Code: jsonrpc.CodeInternalError, Message: "Plugboard could not load this agent's tools; the error was logged. Try again later.",
		})
		return
	}
	defer s.release(as)
	s.stateless.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), agentServerKey{}, as)))
}

// agentServerFor is the server serveStateless acquired for the request.
func (s *Server) agentServerFor(r *http.Request) *sdk.Server {
	if as, ok := r.Context().Value(agentServerKey{}).(*agentServer); ok {
		return as.srv
	}
	return nil
}

// acquire returns the agent's server, making it with load when the agent
// has none. release must follow when the request ends.
func (s *Server) acquire(agentID string, load func() (*toolSet, error)) (*agentServer, error) {
	if as := s.reuse(agentID); as != nil {
		return as, nil
	}
	ts, err := load()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if as := s.agents[agentID]; as != nil {
		// Another request made one meanwhile.
		s.hold(as)
		return as, nil
	}
	as := &agentServer{toolSet: ts, refs: 1}
	s.agents[agentID] = as
	return as, nil
}

func (s *Server) reuse(agentID string) *agentServer {
	s.mu.Lock()
	defer s.mu.Unlock()
	as := s.agents[agentID]
	if as != nil {
		s.hold(as)
	}
	return as
}

// hold counts one more request of as; s.mu must be held.
func (s *Server) hold(as *agentServer) {
	as.refs++
	if as.idle != nil {
		as.idle.Stop()
		as.idle = nil
	}
}

// release counts a request of as as ended, and drops as after agentIdle
// without one.
func (s *Server) release(as *agentServer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	as.refs--
	if as.refs > 0 {
		return
	}
	as.idle = time.AfterFunc(s.agentIdle, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if as.refs == 0 && s.agents[as.agentID] == as {
			delete(s.agents, as.agentID)
		}
	})
}

// undeclared are the methods of the features the server does not declare.
var undeclared = []string{"prompts/list", "prompts/get", "resources/list", "resources/templates/list", "resources/read", "completion/complete"}

// declaredOnly answers the methods of undeclared features as unknown, so
// that what a client of the stateless revision discovers is what it gets
// (the SDK would answer empty lists). The revisions with sessions keep the
// SDK's answers, which clients that list everything regardless of the
// capabilities expect.
func declaredOnly(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		if slices.Contains(undeclared, method) {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: fmt.Sprintf("Method not found: this server has tools only, not %s", method)}
		}
		return next(ctx, method, req)
	}
}
