package auth

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// Opened credentials are remembered by the connection's id together with
// the ciphertext: new credentials sealed for the same connection are read
// at once, and a ciphertext sealed for one connection never opens as
// another's, remembered or not.
func TestOpenedCredentialsFollowTheSealedSecret(t *testing.T) {
	t.Parallel()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	v, err := vault.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{vault: v, oauth: OAuthOptions{}.withDefaults()}
	creds := func(conn store.Connection) connector.Credentials {
		t.Helper()
		c, err := p.Credentials(context.Background(), conn, connector.Auth{Type: connector.AuthAPIKey})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first, err := p.Seal("conn_a", connector.Credentials{APIKey: "first"})
	if err != nil {
		t.Fatal(err)
	}
	a := store.Connection{ID: "conn_a", Secret: first}
	if got := creds(a).APIKey; got != "first" {
		t.Fatalf("api key %q, want first", got)
	}
	if got := creds(a).APIKey; got != "first" {
		t.Fatalf("api key read again %q, want first", got)
	}
	second, err := p.Seal("conn_a", connector.Credentials{APIKey: "second"})
	if err != nil {
		t.Fatal(err)
	}
	a.Secret = second
	if got := creds(a).APIKey; got != "second" {
		t.Fatalf("after new credentials were sealed the call used %q, want second", got)
	}
	// The first connection's ciphertext, now remembered, moved to another
	// connection's row.
	if _, err := p.Credentials(context.Background(), store.Connection{ID: "conn_b", Secret: first}, connector.Auth{Type: connector.AuthAPIKey}); err == nil {
		t.Fatal("conn_a's sealed secret opened as conn_b's")
	}
}
