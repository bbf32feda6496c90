package server

import (
	"context"
	"fmt"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/web"
)

// wireDashboard builds the dashboard on the same domain objects as the
// API. Its hooks read the API's at call time, so listeners wired later
// (the MCP server's tool list) hear about deploys made in the browser too.
func (s *Server) wireDashboard() error {
	var err error
	s.Web, err = web.New(web.Deps{
		Store: s.Store, Executor: s.Executor, Auth: s.Auth, Outbound: s.Outbound, Webhooks: s.Webhooks, API: s.API, MCP: s.MCP, Logger: s.logger, PublicURL: s.cfg.PublicURL,
		OnDeploy: func(ctx context.Context, in store.Integration) {
			if s.API.OnDeploy != nil {
				s.API.OnDeploy(ctx, in)
			}
		},
		BeforeDisconnect: func(ctx context.Context, c store.Connection) {
			if s.API.BeforeDisconnect != nil {
				s.API.BeforeDisconnect(ctx, c)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

// ownerEmail is the placeholder address of the first organization's
// owner, replaced when they first sign in.
const ownerEmail = "owner@localhost"

// printFirstSignIn prints the owner's single-use dashboard link once, and
// logs that it exists without the token.
func (s *Server) printFirstSignIn(ctx context.Context, console interface{ Write([]byte) (int, error) }) error {
	link, expires, err := s.Web.FirstSignInLink(ctx, ownerEmail)
	if err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "created a one-time dashboard sign-in link for the owner", "url", s.cfg.PublicURL+"/signin/first", "expires", expires)
	if console != nil {
		fmt.Fprintf(console, "\nSign in to the dashboard and set the owner's password with this one-time link (valid until %s):\n\n    %s\n\n", expires.UTC().Format("2006-01-02 15:04 UTC"), link)
	}
	return nil
}
