// Package auth turns a connection's sealed credentials into credentials a
// request can carry: static kinds (API key, Basic, Bearer) are unsealed;
// OAuth 2.0 tokens are fetched, cached in the connection and refreshed,
// one refresh at a time per connection across every node.
package auth

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// Provider hands out credentials for connections.
type Provider struct {
	store   *store.Store
	vault   *vault.Keyring
	logger  *slog.Logger
	oauth   OAuthOptions
	flights singleflight.Group // one refresh per connection in this process
	opened  openedSecrets
}

// NewProvider returns a provider reading sealed credentials with v and
// handling OAuth 2.0 tokens as o says.
func NewProvider(st *store.Store, v *vault.Keyring, o OAuthOptions, logger *slog.Logger) *Provider {
	return &Provider{store: st, vault: v, logger: logger, oauth: o.withDefaults()}
}

// sealed is what a connection's secret holds: the credentials plus when
// the access token was issued, which bounds the refresh skew to half the
// token's lifetime.
type sealed struct {
	connector.Credentials
	IssuedAt time.Time `json:"issued_at,omitzero"`
}

// Seal encrypts credentials for the connection with id connID.
func (p *Provider) Seal(connID string, c connector.Credentials) (string, error) {
	return p.vault.SealJSON(sealed{Credentials: c}, []byte(connID))
}

func (p *Provider) seal(connID string, s sealed) (string, error) {
	return p.vault.SealJSON(s, []byte(connID))
}

// Open decrypts a connection's stored credentials.
func (p *Provider) Open(conn store.Connection) (connector.Credentials, error) {
	s, err := p.open(conn)
	return s.Credentials, err
}

func (p *Provider) open(conn store.Connection) (sealed, error) {
	if s, ok := p.opened.get(conn.ID, conn.Secret); ok {
		return s, nil
	}
	var s sealed
	if err := p.vault.OpenJSON(conn.Secret, []byte(conn.ID), &s); err != nil {
		return sealed{}, fmt.Errorf("open credentials of connection %s: %w", conn.ID, err)
	}
	p.opened.put(conn.ID, conn.Secret, s)
	return s, nil
}

// openedSecrets remembers the credentials opened from a connection's
// sealed secret: opening (AES-GCM and JSON) was 4% of an action run's CPU,
// paid again on every call for the same bytes. An entry is found only by
// the connection's id together with the very ciphertext it was opened
// from, so a rotated, refreshed or re-sealed secret is opened afresh and
// the id stays bound to its ciphertext as sealing binds it. The memory
// holds what every call decrypts anyway, bounded in number.
type openedSecrets struct {
	mu sync.Mutex
	m  map[openedKey]sealed
}

type openedKey struct{ connID, ciphertext string }

// maxOpenedSecrets bounds the memo; when full it starts over.
const maxOpenedSecrets = 4096

func (o *openedSecrets) get(connID, ciphertext string) (sealed, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.m[openedKey{connID, ciphertext}]
	return s, ok
}

func (o *openedSecrets) put(connID, ciphertext string, s sealed) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil || len(o.m) >= maxOpenedSecrets {
		o.m = make(map[openedKey]sealed)
	}
	o.m[openedKey{connID, ciphertext}] = s
}

// Credentials returns what a request through conn must carry. For OAuth
// 2.0 it returns a token valid for at least the skew, fetching or
// refreshing one first when needed.
func (p *Provider) Credentials(ctx context.Context, conn store.Connection, a connector.Auth) (connector.Credentials, error) {
	s, err := p.open(conn)
	if err != nil || a.Type != connector.AuthOAuth2 {
		return s.Credentials, err
	}
	if p.usable(s, time.Now()) {
		return s.Credentials, nil
	}
	return p.renew(ctx, conn, a, s.AccessToken)
}

// Refresh is called after the API answered 401 with creds; it reports
// whether fresh credentials were obtained and the call is worth repeating.
func (p *Provider) Refresh(ctx context.Context, conn store.Connection, a connector.Auth, creds connector.Credentials) (connector.Credentials, bool, error) {
	if a.Type != connector.AuthOAuth2 || creds.AccessToken == "" {
		return creds, false, nil
	}
	fresh, err := p.renew(ctx, conn, a, creds.AccessToken)
	if err != nil {
		return creds, false, err
	}
	if fresh.AccessToken == creds.AccessToken {
		return creds, false, nil
	}
	return fresh, true, nil
}

// usable reports whether s holds an access token that stays valid past
// the skew. A token without expiry is used until the API refuses it.
func (p *Provider) usable(s sealed, now time.Time) bool {
	if s.AccessToken == "" {
		return false
	}
	if s.Expiry.IsZero() {
		return true
	}
	skew := p.oauth.Skew
	if !s.IssuedAt.IsZero() {
		// Providers that issue tokens valid for seconds would otherwise
		// see every token renewed at once.
		if half := s.Expiry.Sub(s.IssuedAt) / 2; half < skew {
			skew = half
		}
	}
	return now.Before(s.Expiry.Add(-skew))
}
