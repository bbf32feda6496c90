package server

import (
	"context"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/idempotency"
	"github.com/plugboard/plugboard/internal/mcp"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/store"
)

// wireAgents sets up the MCP server for agents, idempotent action calls and
// OpenAPI imports by URL, and hands them to the API.
func (s *Server) wireAgents() error {
	// Documents are fetched through a client of their own: the guard is
	// the same, but a description may be larger than an action's payload
	// limit.
	docs, err := outbound.New(outbound.Config{
		Timeout: api.ImportFetchTimeout, AllowPrivate: s.cfg.AllowPrivateNetworks,
		MaxResponseBytes: api.MaxImportBytes, Logger: s.logger,
	})
	if err != nil {
		return err
	}
	s.Idempotency = &idempotency.Runner{Store: s.Store, Logger: s.logger}
	s.MCP = mcp.New(mcp.Config{Store: s.Store, Executor: s.Executor, Idempotency: s.Idempotency, Logger: s.logger})
	s.API.MCP, s.API.Idempotency, s.API.ImportHTTP = s.MCP, s.Idempotency, docs.HTTPClient()
	previous := s.API.OnDeploy
	s.API.OnDeploy = func(ctx context.Context, in store.Integration) {
		if previous != nil {
			previous(ctx, in)
		}
		s.MCP.Deployed(ctx, in)
	}
	return nil
}

// startAgents relays MCP tool changes between the nodes sharing a
// PostgreSQL database, so a deploy on one node reaches agents connected to
// another.
func (s *Server) startAgents(ctx context.Context) {
	pool := s.Store.PgxPool()
	if pool == nil {
		return
	}
	run := s.MCP.RelayChanges(ctx, pool)
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		run()
	}()
}
