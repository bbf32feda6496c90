package mcp

import (
	"context"
	"net/http"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/store"
)

// The revisions before 2026-07-28 keep a session from initialize on. Each
// session gets an SDK server of its own holding its agent's tools. An
// agent's sessions are counted from their initialize request, not from its
// initialized notification: the session (its memory, its goroutines and
// its idle timer) exists from then on, whether or not the client carries
// on.

// session is one agent's MCP session.
type session struct {
	*toolSet
	seq   uint64 // the order in which sessions were made
	ended bool   // guarded by Server.mu
}

// serverSlot memoizes the server made for one HTTP request (the SDK asks
// for it twice when a request opens a session) and tells whether the
// request is an initialize, the only one that should open a session.
type serverSlot struct {
	sess       *session
	initialize bool
}

type slotKey struct{}

// serveSessions serves a request of the revisions with sessions.
func (s *Server) serveSessions(w http.ResponseWriter, r *http.Request, initialize bool) {
	slot := &serverSlot{initialize: initialize && r.Header.Get("Mcp-Session-Id") == ""}
	s.sessions.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), slotKey{}, slot)))
	if slot.initialize && slot.sess != nil {
		s.opened(slot.sess)
	}
}

// serverFor gives a request that opens a session a server holding the
// agent's tools. Requests of existing sessions are routed by the SDK to
// their session's server; for them it only answers the version check.
func (s *Server) serverFor(r *http.Request) *sdk.Server {
	if r.Header.Get("Mcp-Session-Id") != "" {
		return s.probe
	}
	slot, _ := r.Context().Value(slotKey{}).(*serverSlot)
	if slot == nil {
		return nil
	}
	if slot.sess != nil {
		return slot.sess.srv
	}
	ag, ok := agentOf(auth.TokenInfoFromContext(r.Context()))
	if !ok {
		return nil
	}
	sess, err := s.newSession(r.Context(), ag, slot.initialize)
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "open MCP session", "agent", ag.ID, "error", err)
		return nil
	}
	slot.sess = sess
	return sess.srv
}

// newSession makes the server of a new session. Only an initialize request
// gets a session id: any other request without one (a single call outside
// a session) is answered and its session closed at once, rather than left
// idle until the session timeout.
func (s *Server) newSession(ctx context.Context, ag store.Agent, initialize bool) (*session, error) {
	opts := s.serverOptions()
	if !initialize {
		opts.GetSessionID = func() string { return "" }
	}
	sess := &session{seq: s.sessionSeq.Add(1)}
	opts.InitializedHandler = func(context.Context, *sdk.InitializedRequest) { s.track(sess) }
	sess.toolSet = s.newToolSet(ag, opts)
	sess.srv.AddReceivingMiddleware(withoutCacheHints)
	if err := s.sync(ctx, sess.toolSet, ag); err != nil {
		return nil, err
	}
	return sess, nil
}

// track remembers an initialized session until it ends, so that changes in
// its organization reach it.
func (s *Server) track(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess.ended {
		return
	}
	if s.live[sess.orgID] == nil {
		s.live[sess.orgID] = map[*session]struct{}{}
	}
	s.live[sess.orgID][sess] = struct{}{}
}

// opened counts the session an initialize request made, closes the
// agent's oldest beyond the cap, and forgets the session when it ends.
func (s *Server) opened(sess *session) {
	var ended func() error
	for ss := range sess.srv.Sessions() {
		ended = ss.Wait
	}
	s.mu.Lock()
	if ended == nil {
		// The initialize failed and the SDK closed the session already.
		s.forget(sess)
		s.mu.Unlock()
		return
	}
	// The list is in the order the sessions were made: a client may have
	// gone on to open its next session before this request ended.
	open := s.open[sess.agentID]
	at := slices.IndexFunc(open, func(o *session) bool { return o.seq > sess.seq })
	if at < 0 {
		at = len(open)
	}
	open = slices.Insert(open, at, sess)
	var evicted []*session
	if over := len(open) - s.cfg.MaxSessionsPerAgent; over > 0 {
		evicted = append(evicted, open[:over]...)
		open = append([]*session(nil), open[over:]...)
	}
	s.open[sess.agentID] = open
	s.mu.Unlock()
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.MCPSessions.Inc()
	}
	for _, old := range evicted {
		s.cfg.Logger.Info("closed the agent's oldest MCP session: too many open", "agent", old.agentID, "max", s.cfg.MaxSessionsPerAgent)
		old.close()
	}
	go func() {
		_ = ended()
		s.mu.Lock()
		s.forget(sess)
		s.mu.Unlock()
		if s.cfg.Metrics != nil {
			s.cfg.Metrics.MCPSessions.Dec()
		}
	}()
}

// forget drops an ended session from the agent's and the organization's
// lists; s.mu must be held.
func (s *Server) forget(sess *session) {
	sess.ended = true
	open := s.open[sess.agentID]
	for i, o := range open {
		if o == sess {
			open = append(open[:i:i], open[i+1:]...)
			break
		}
	}
	if len(open) == 0 {
		delete(s.open, sess.agentID)
	} else {
		s.open[sess.agentID] = open
	}
	delete(s.live[sess.orgID], sess)
	if len(s.live[sess.orgID]) == 0 {
		delete(s.live, sess.orgID)
	}
}
