package server

import (
	"context"
	"fmt"
	"io"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// bootstrap creates the first organization and its owner on an empty
// database. The owner key is PLUGBOARD_ADMIN_TOKEN when set, else generated
// and printed once.
func (s *Server) bootstrap(ctx context.Context, console io.Writer) error {
	n, err := s.Store.CountOrgs(ctx)
	if err != nil || n > 0 {
		return err
	}
	key, prefix, hash := api.NewAPIKey()
	generated := true
	if s.cfg.AdminToken != "" {
		key, generated = s.cfg.AdminToken, false
		prefix, hash = prefixOf(key), vault.HashToken(key)
	}
	created, err := s.Store.CreateFirstOrg(ctx,
		store.Org{Name: "My organization", Plan: "scale"},
		store.User{Email: "owner@localhost", Name: "Owner", PlatformAdmin: true},
		"owner", prefix, hash)
	if err != nil {
		return fmt.Errorf("create the first organization: %w", err)
	}
	if !created {
		return nil
	}
	s.logger.InfoContext(ctx, "created the first organization and its owner")
	if generated && console != nil {
		fmt.Fprintf(console, "\nPlugboard is set up. The owner API key (shown only this once):\n\n    %s\n\nUse it as 'Authorization: Bearer <key>' on %s/v1 and sign in to the dashboard at %s/\n\n", key, s.cfg.PublicURL, s.cfg.PublicURL)
	}
	return s.printFirstSignIn(ctx, console)
}

func prefixOf(key string) string {
	if len(key) > 10 {
		return key[:10]
	}
	return key
}
