package mcp

import (
	"context"
	"strings"
)

// changesChannel is the notification channel on which nodes sharing a
// PostgreSQL database announce that an organization's tools changed (the
// payload is "<node> <organization>").
const changesChannel = "plugboard_mcp_tools"

// relay brings this node's sessions up to date when another node announces
// a change; the store's one listening connection hears it.
func (s *Server) relay(payload string) {
	if node, orgID, ok := strings.Cut(payload, " "); ok && node != s.node {
		s.refresh(context.Background(), orgID)
	}
}

// announce tells the other nodes that an organization's tools changed.
func (s *Server) announce(ctx context.Context, orgID string) {
	if s.cfg.Store == nil {
		return
	}
	s.cfg.Store.Notify(ctx, changesChannel, s.node+" "+orgID)
}
