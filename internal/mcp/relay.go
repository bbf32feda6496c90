package mcp

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// changesChannel is the PostgreSQL notification channel on which nodes
// announce that an organization's tools changed.
const changesChannel = "plugboard_mcp_tools"

// RelayChanges makes tool changes reach the MCP sessions of every node
// sharing the store's PostgreSQL database: ToolsChanged announces them
// with NOTIFY, and the returned function, run in a goroutine until ctx
// ends, listens and refreshes this node's sessions. It returns once this
// node listens, so no change made afterwards is missed; when the first
// LISTEN fails, run keeps retrying.
func (s *Server) RelayChanges(ctx context.Context) (run func()) {
	conn, err := s.listen(ctx)
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "listen for MCP tool changes; retrying", "error", err)
	}
	return func() {
		delay := time.Second
		for {
			if conn == nil {
				select {
				case <-ctx.Done():
					return
				case <-time.After(delay):
				}
				if conn, err = s.listen(ctx); err != nil {
					delay = min(2*delay, time.Minute)
					continue
				}
				delay = time.Second
			}
			n, err := conn.Conn().WaitForNotification(ctx)
			if err != nil {
				// A connection left listening must not go back to the pool.
				_ = conn.Hijack().Close(context.WithoutCancel(ctx))
				conn = nil
				if ctx.Err() != nil {
					return
				}
				s.cfg.Logger.WarnContext(ctx, "MCP tool changes: connection lost; listening again", "error", err)
				continue
			}
			if node, orgID, ok := strings.Cut(n.Payload, " "); ok && node != s.node {
				s.refresh(ctx, orgID)
			}
		}
	}
}

func (s *Server) listen(ctx context.Context) (*pgxpool.Conn, error) {
	conn, err := s.cfg.Store.PgxPool().Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		conn.Release()
		return nil, err
	}
	return conn, nil
}

// announce tells the other nodes that an organization's tools changed.
func (s *Server) announce(ctx context.Context, orgID string) {
	pool := s.cfg.Store.PgxPool()
	if pool == nil {
		return
	}
	if _, err := pool.Exec(context.WithoutCancel(ctx), "SELECT pg_notify($1, $2)", changesChannel, s.node+" "+orgID); err != nil {
		s.cfg.Logger.WarnContext(ctx, "announce MCP tool changes", "org", orgID, "error", err)
	}
}
