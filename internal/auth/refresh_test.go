package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

// creds opens a connection's stored credentials.
func creds(t *testing.T, pb *servertest.Instance, connID string) (store.Connection, connector.Credentials) {
	t.Helper()
	conn, err := pb.Server.Store.GetConnectionByID(context.Background(), connID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pb.Server.Auth.Open(conn)
	if err != nil {
		t.Fatal(err)
	}
	return conn, c
}

// setExpiry rewrites the stored token's expiry, as if time had passed.
func setExpiry(t *testing.T, pb *servertest.Instance, connID string, expiry time.Time) {
	t.Helper()
	_, c := creds(t, pb, connID)
	c.Expiry = expiry
	sealed, err := pb.Server.Auth.Seal(connID, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := pb.Server.Store.UpdateConnectionSecret(context.Background(), connID, sealed, expiry, store.ConnActive, ""); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, c *client.Client, inID string) *client.RunResult {
	t.Helper()
	res, err := c.Run(context.Background(), inID, "who_am_i", client.RunInput{Environment: "sandbox", Params: map[string]any{}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != http.StatusOK {
		t.Fatalf("run: upstream answered %d: %s", res.Status, res.Body)
	}
	return res
}

// refreshDirectly uses a refresh token at the authorization server
// without Plugboard, to see whether the server still accepts it.
func refreshDirectly(p *idp, refreshToken string) error {
	cfg := &oauth2.Config{ClientID: webClient, ClientSecret: webSecret, Endpoint: oauth2.Endpoint{TokenURL: p.Token, AuthStyle: oauth2.AuthStyleInHeader}}
	_, err := cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: refreshToken}).Token()
	return err
}

func isInvalidGrant(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

func TestRefreshBeforeExpiryRotatesTheRefreshToken(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "authorization_code")
	connID := connectAuthCode(t, s, s.pb.Client, false)
	_, first := creds(t, s.pb, connID)

	// Valid for 30 more seconds: inside the 60 s skew, so the next call
	// refreshes first although the old token still works.
	setExpiry(t, s.pb, connID, time.Now().Add(30*time.Second))
	run(t, s.pb.Client, s.inID)
	if n := s.idp.Count("refresh_token"); n != 1 {
		t.Fatalf("refreshes: %d, want 1", n)
	}
	if n := s.api.refusals.Load(); n != 0 {
		t.Fatalf("the API refused %d calls; the refresh should have come first", n)
	}
	conn, second := creds(t, s.pb, connID)
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken || conn.Status != store.ConnActive {
		t.Fatalf("tokens not renewed and rotated")
	}
	if !second.Expiry.After(time.Now().Add(2 * time.Minute)) {
		t.Fatalf("new expiry %v", second.Expiry)
	}
	// The server rotated the refresh token: the old one is dead, so only
	// the saved new one can refresh again.
	if err := refreshDirectly(s.idp, first.RefreshToken); !isInvalidGrant(err) {
		t.Fatalf("old refresh token: %v, want invalid_grant", err)
	}
	// That attempt was the second refresh request; Plugboard's next is the
	// third, with the saved rotated token.
	setExpiry(t, s.pb, connID, time.Now().Add(-time.Second))
	run(t, s.pb.Client, s.inID)
	if n := s.idp.Count("refresh_token"); n != 3 {
		t.Fatalf("refresh requests: %d, want 3", n)
	}
	// A fresh token is used as is.
	run(t, s.pb.Client, s.inID)
	if n := s.idp.Count("refresh_token"); n != 3 || s.api.refusals.Load() != 0 {
		t.Fatalf("refresh requests: %d, want still 3; API refusals %d", n, s.api.refusals.Load())
	}
}

func TestRefreshOnceAfterUnauthorized(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "authorization_code")
	connID := connectAuthCode(t, s, s.pb.Client, false)
	_, before := creds(t, s.pb, connID)
	// The authorization server revokes the access token; Plugboard still
	// believes it valid for minutes.
	form := url.Values{"token": {before.AccessToken}, "token_type_hint": {"access_token"}}
	req, _ := http.NewRequest(http.MethodPost, s.idp.Revoke, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(webClient, webSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke at the server: %v %v", resp, err)
	}
	resp.Body.Close()

	run(t, s.pb.Client, s.inID)
	if n := s.api.refusals.Load(); n != 1 {
		t.Fatalf("API refusals: %d, want 1", n)
	}
	if n := s.idp.Count("refresh_token"); n != 1 {
		t.Fatalf("refreshes: %d, want 1", n)
	}
	_, after := creds(t, s.pb, connID)
	if after.AccessToken == before.AccessToken || after.RefreshToken == before.RefreshToken {
		t.Fatal("tokens not replaced after the 401")
	}
}

func TestClientCredentialsFetchedOnFirstUseAndCached(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "client_credentials")
	ctx := context.Background()
	conn, err := s.pb.Client.AddConnection(ctx, s.inID, client.ConnectionInput{Environment: "sandbox",
		Credentials: map[string]string{"client_id": svcClient, "client_secret": svcSecret}})
	if err != nil || conn.Status != store.ConnActive {
		t.Fatalf("add: %+v %v", conn, err)
	}
	if n := s.idp.Count("client_credentials"); n != 0 {
		t.Fatalf("token fetched before first use: %d", n)
	}
	for range 3 {
		run(t, s.pb.Client, s.inID)
	}
	if n := s.idp.Count("client_credentials"); n != 1 {
		t.Fatalf("token requests: %d, want 1 (cached)", n)
	}
	stored, c := creds(t, s.pb, conn.ID)
	if c.AccessToken == "" || stored.TokenExpiry.IsZero() || strings.Contains(stored.Secret, c.AccessToken) {
		t.Fatal("token not cached sealed with its expiry")
	}
	setExpiry(t, s.pb, conn.ID, time.Now().Add(10*time.Second))
	run(t, s.pb.Client, s.inID)
	if n := s.idp.Count("client_credentials"); n != 2 {
		t.Fatalf("token requests: %d, want 2 after expiry", n)
	}
}

func TestDisconnectRevokesAtTheProvider(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "authorization_code")
	connID := connectAuthCode(t, s, s.pb.Client, false)
	_, c := creds(t, s.pb, connID)
	if err := s.pb.Client.Do(context.Background(), "DELETE", "/v1/integrations/"+s.inID+"/connections/"+connID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := refreshDirectly(s.idp, c.RefreshToken); !isInvalidGrant(err) {
		t.Fatalf("refresh token after disconnect: %v, want invalid_grant", err)
	}
	if active, err := s.idp.introspect(context.Background(), webClient, webSecret, c.AccessToken); err != nil || active {
		t.Fatalf("access token after disconnect: active=%v %v", active, err)
	}
	if _, err := s.pb.Server.Store.GetConnectionByID(context.Background(), connID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("connection still stored: %v", err)
	}
}
