package auth_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/auth"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
	"github.com/plugboard/plugboard/internal/vault"
)

// BenchmarkCredentialsCachedToken is the per-call cost of an OAuth 2.0
// connection whose token is still fresh: unseal and check the expiry.
func BenchmarkCredentialsCachedToken(b *testing.B) {
	key := make([]byte, 32)
	v, err := vault.NewKeyring(key)
	if err != nil {
		b.Fatal(err)
	}
	p := auth.NewProvider(storetest.Open(b, store.SQLite), v, auth.OAuthOptions{}, slog.New(slog.DiscardHandler))
	conn := store.Connection{ID: "con_bench"}
	conn.Secret, _ = p.Seal(conn.ID, connector.Credentials{ClientID: "id", ClientSecret: "secret",
		AccessToken: "access-token-value", RefreshToken: "refresh-token-value", Expiry: time.Now().Add(time.Hour)})
	a := connector.Auth{Type: connector.AuthOAuth2, Grant: connector.GrantAuthorizationCode}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Credentials(ctx, conn, a); err != nil {
			b.Fatal(err)
		}
	}
}
