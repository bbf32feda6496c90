package server

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/plugboard/plugboard/internal/account"
	"github.com/plugboard/plugboard/internal/org"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// bootstrap creates the first organization and its owner on an empty
// database. The owner key is PLUGBOARD_ADMIN_TOKEN when set, else generated
// and printed once. While that owner has set no password, each start
// prints a new sign-in link, so a lost or expired one is not a dead end.
func (s *Server) bootstrap(ctx context.Context, console io.Writer) error {
	n, err := s.Store.CountOrgs(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return s.printFirstSignIn(ctx, console)
	}
	key, prefix, hash := org.NewAPIKey()
	generated := true
	if s.cfg.AdminToken != "" {
		key, generated = s.cfg.AdminToken, false
		prefix, hash = prefixOf(key), vault.HashToken(key)
	}
	created, err := s.Store.CreateFirstOrg(ctx,
		store.Org{Name: "My organization", Plan: "scale"},
		store.User{Email: account.FirstOwnerEmail, Name: "Owner", PlatformAdmin: true},
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

// printFirstSignIn prints a single-use dashboard link for the first owner
// while they have no password, and logs that it exists without the token.
func (s *Server) printFirstSignIn(ctx context.Context, console io.Writer) error {
	link, expires, err := s.accounts.FirstSignInLink(ctx, account.FirstOwnerEmail)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the owner has a password, or the first organization is gone
	}
	if err != nil {
		return fmt.Errorf("first sign-in link: %w", err)
	}
	s.logger.InfoContext(ctx, "created a one-time dashboard sign-in link for the owner", "url", s.cfg.PublicURL+"/signin/first", "expires", expires)
	if console != nil {
		fmt.Fprintf(console, "\nSign in to the dashboard and set the owner's password with this one-time link (valid until %s):\n\n    %s\n\n", expires.UTC().Format("2006-01-02 15:04 UTC"), link)
	}
	return nil
}

func prefixOf(key string) string {
	if len(key) > 10 {
		return key[:10]
	}
	return key
}
