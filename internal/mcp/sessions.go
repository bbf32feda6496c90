package mcp

// An agent's sessions are counted from their initialize request, not from
// its initialized notification: the session (its memory, its goroutines
// and its idle timer) exists from then on, whether or not the client
// carries on.

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
	open := append(s.open[sess.agentID], sess)
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

// close ends the session; the SDK forgets its id, so the client's next
// request is answered 404 and it must initialize again.
func (sess *session) close() {
	for ss := range sess.srv.Sessions() {
		_ = ss.Close()
	}
}
