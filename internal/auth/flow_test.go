package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

// oauthDef is an integration whose API is resource and whose auth server
// is p.
func oauthDef(name string, p *idp, api *resourceAPI, grant string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"name": %q, "baseUrl": %q,
		"auth": {"type": "oauth2", "grant": %q, "authorize_url": %q, "token_url": %q, "revoke_url": %q,
			"scopes": ["openid", "offline_access"], "pkce": true},
		"actions": [{"name": "Who Am I", "method": "GET", "endpoint": "/me"}]}`,
		name, api.URL, grant, p.Auth, p.Token, p.Revoke))
}

// setup is one Plugboard node with an integration on the real
// authorization server.
type setup struct {
	pb   *servertest.Instance
	idp  *idp
	api  *resourceAPI
	inID string
}

func newSetup(t *testing.T, opts servertest.Options, grant string) *setup {
	t.Helper()
	pb := servertest.Start(t, opts)
	p := startIdP(t, pb.URL+"/oauth/callback")
	clientID, secret := webClient, webSecret
	if grant == "client_credentials" {
		clientID, secret = svcClient, svcSecret
	}
	api := startResourceAPI(t, p, clientID, secret)
	in, err := pb.Client.CreateIntegration(context.Background(), oauthDef("IdP API", p, api, grant))
	if err != nil {
		t.Fatal(err)
	}
	return &setup{pb: pb, idp: p, api: api, inID: in.ID}
}

// browser signs in at the authorization server the way a person would:
// it follows redirects with a cookie jar and submits the login form.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// authorize opens the provider URL, signs in and returns the page that
// Plugboard's callback finally shows.
func (b *browser) authorize(authURL string) (int, string) {
	b.t.Helper()
	resp, err := b.hc.Get(authURL)
	if err != nil {
		b.t.Fatalf("open authorize URL: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	reqID := resp.Request.URL.Query().Get("authRequestID")
	if reqID == "" {
		b.t.Fatalf("expected the provider's login page, got %s: %s", resp.Request.URL, page)
	}
	login := *resp.Request.URL
	login.RawQuery = ""
	resp, err = b.hc.PostForm(login.String(), url.Values{"id": {reqID}, "username": {idpUser}, "password": {idpPassword}})
	if err != nil {
		b.t.Fatalf("submit login: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// connectAuthCode creates a pending connection with c and walks the whole
// authorization code + PKCE flow through the real callback.
func connectAuthCode(t *testing.T, s *setup, c *client.Client, personal bool) string {
	t.Helper()
	ctx := context.Background()
	conn, err := c.AddConnection(ctx, s.inID, client.ConnectionInput{Environment: "sandbox", Personal: personal,
		Credentials: map[string]string{"client_id": webClient, "client_secret": webSecret}})
	if err != nil {
		t.Fatal(err)
	}
	if conn.Status != store.ConnPending || conn.AuthorizeURL == "" {
		t.Fatalf("new connection: %+v", conn)
	}
	authURL, err := c.AuthorizeURL(ctx, s.inID, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" ||
		q.Get("redirect_uri") != s.pb.URL+"/oauth/callback" {
		t.Fatalf("authorize URL lacks PKCE, state or redirect: %s", authURL)
	}
	status, page := newBrowser(t).authorize(authURL)
	if status != http.StatusOK || !strings.Contains(page, "Connected") {
		t.Fatalf("callback page: %d %s", status, page)
	}
	got, err := c.GetConnection(ctx, s.inID, conn.ID)
	if err != nil || got.Status != store.ConnActive {
		t.Fatalf("after callback: %+v %v", got, err)
	}
	return conn.ID
}

func problemStatus(t *testing.T, err error) int {
	t.Helper()
	var ae *client.Error
	if !errors.As(err, &ae) {
		t.Fatalf("want an API problem, got %v", err)
	}
	return ae.Status
}

func TestAuthorizationCodeWithPKCEThroughTheCallback(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "authorization_code")
	ctx := context.Background()
	connID := connectAuthCode(t, s, s.pb.Client, false)
	if n := s.idp.Count("authorization_code"); n != 1 {
		t.Fatalf("code exchanges: %d", n)
	}
	res, err := s.pb.Client.Run(ctx, s.inID, "who_am_i", client.RunInput{Environment: "sandbox", Params: map[string]any{}})
	if err != nil || res.Status != 200 {
		t.Fatalf("run: %+v %v", res, err)
	}
	// The tokens are stored sealed, never shown.
	raw := json.RawMessage{}
	if err := s.pb.Client.Do(ctx, "GET", "/v1/integrations/"+s.inID+"/connections/"+connID, nil, &raw); err != nil {
		t.Fatal(err)
	}
	conn, _ := s.pb.Server.Store.GetConnectionByID(ctx, connID)
	creds, _ := s.pb.Server.Auth.Open(conn)
	if creds.AccessToken == "" || creds.RefreshToken == "" || strings.Contains(string(raw), creds.AccessToken) ||
		strings.Contains(conn.Secret, creds.AccessToken) || conn.TokenExpiry.IsZero() {
		t.Fatalf("tokens not stored sealed with expiry: %s", raw)
	}
}
