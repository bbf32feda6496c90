package authserver_test

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// wantMCP checks what /mcp answers an initialize with token: 200, or 401
// with a challenge that sends the client to sign in and a reason that
// contains why.
func (f *fixture) wantMCP(token string, status int, why string) {
	f.t.Helper()
	code, challenge, body := f.mcpStatus(token)
	if code != status {
		f.t.Fatalf("/mcp answered %d, want %d\n%s", code, status, body)
	}
	if status != http.StatusUnauthorized {
		return
	}
	if !strings.Contains(challenge, `resource_metadata="`+f.srv.URL+`/.well-known/oauth-protected-resource/mcp"`) || !strings.Contains(challenge, `error="invalid_token"`) {
		f.t.Fatalf("WWW-Authenticate = %q", challenge)
	}
	if !strings.Contains(body, why) {
		f.t.Fatalf("the refusal does not say %q:\n%s", why, body)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	// Claims of codes and refresh tokens race on PostgreSQL as on SQLite.
	storetest.Engines(t, func(t *testing.T, engine string) {
		f := newFixture(t, servertest.Options{Engine: engine})
		a := f.register(nil)
		site := f.browser()
		// The first sign-in signs the browser in; later ones go straight to
		// the consent screen.
		first := a.connect(site, approveAll)

		t.Run("an access token opens /mcp and says what it allows", func(t *testing.T) {
			f := f.at(t)
			f.wantMCP(first.AccessToken, http.StatusOK, "")
			if first.Scope != "mcp:tools offline_access" || first.RefreshToken == "" || first.ExpiresIn != 3600 {
				t.Fatalf("token response = %+v", first)
			}
		})

		t.Run("an agent key still works beside OAuth", func(t *testing.T) {
			f := f.at(t)
			ag, err := f.srv.Client.CreateAgent(f.ctx, "script", nil)
			if err != nil {
				t.Fatal(err)
			}
			f.wantMCP(ag.Key, http.StatusOK, "")
		})

		t.Run("a refused exchange spends the code", func(t *testing.T) {
			a := a.at(f.at(t))
			for _, tc := range []struct {
				name          string
				wrongVerifier bool
				extra         url.Values
				want, why     string
			}{
				{"another resource", false, url.Values{"resource": {"https://other.example/mcp"}}, "invalid_target", "not served by this authorization server"},
				{"a wrong code_verifier", true, nil, "invalid_grant", "code_verifier does not match"},
				{"another redirect_uri", false, url.Values{"redirect_uri": {"http://127.0.0.1:7777/other"}}, "invalid_grant", "redirect_uri differs"},
			} {
				code, verifier := a.code(site)
				sent := verifier
				if tc.wrongVerifier {
					sent, _ = pkce()
				}
				if tok := a.exchange(code, sent, tc.extra); tok.Status != http.StatusBadRequest || tok.Error != tc.want || !strings.Contains(tok.Description, tc.why) {
					t.Fatalf("%s: exchange = %+v", tc.name, tok)
				}
				if again := a.exchange(code, verifier, nil); again.Error != "invalid_grant" {
					t.Fatalf("%s: the code worked after a refused exchange: %+v", tc.name, again)
				}
			}
		})

		t.Run("a code exchanged twice revokes the tokens of the first exchange", func(t *testing.T) {
			f, a := f.at(t), a.at(f.at(t))
			code, verifier := a.code(site)
			tok := a.exchange(code, verifier, nil)
			f.wantMCP(tok.AccessToken, http.StatusOK, "")
			if again := a.exchange(code, verifier, nil); again.Error != "invalid_grant" {
				t.Fatalf("second exchange = %+v", again)
			}
			f.wantMCP(tok.AccessToken, http.StatusUnauthorized, "revoked")
			if r := a.refresh(tok.RefreshToken); r.Error != "invalid_grant" {
				t.Fatalf("refresh after the replay = %+v", r)
			}
		})

		t.Run("a revoked access token stops at its next request", func(t *testing.T) {
			f, a := f.at(t), a.at(f.at(t))
			tok := a.connect(site, approveAll)
			f.wantMCP(tok.AccessToken, http.StatusOK, "")
			if code := a.revoke(tok.AccessToken); code != http.StatusOK {
				t.Fatalf("revoke: %d", code)
			}
			f.wantMCP(tok.AccessToken, http.StatusUnauthorized, "revoked")
			if code := a.revoke("pbt_not-a-token"); code != http.StatusOK {
				t.Fatalf("revoking an unknown token answered %d; RFC 7009 wants 200", code)
			}
		})

		t.Run("a refresh token rotates, and reusing a rotated one revokes the whole family", func(t *testing.T) {
			f, a := f.at(t), a.at(f.at(t))
			tok := a.connect(site, approveAll)
			next := a.refresh(tok.RefreshToken)
			if next.Status != http.StatusOK || next.AccessToken == "" || next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
				t.Fatalf("refresh = %+v", next)
			}
			f.wantMCP(next.AccessToken, http.StatusOK, "")
			stolen := a.refresh(tok.RefreshToken)
			if stolen.Error != "invalid_grant" || !strings.Contains(stolen.Description, "already used") {
				t.Fatalf("reuse of a rotated refresh token = %+v", stolen)
			}
			f.wantMCP(tok.AccessToken, http.StatusUnauthorized, "revoked")
			f.wantMCP(next.AccessToken, http.StatusUnauthorized, "revoked")
			if r := a.refresh(next.RefreshToken); r.Error != "invalid_grant" {
				t.Fatalf("the family's newest refresh token still worked: %+v", r)
			}
			// The trail names the app and the person it acts for.
			reuse := f.audit("app.token_reuse")
			if len(reuse) == 0 || reuse[0].ActorUserID != f.personID || !strings.Contains(reuse[0].Detail, `"agent":"`+reuse[0].TargetID+`"`) {
				t.Fatalf("audit of the reuse = %+v", reuse)
			}
			// Other sign-ins of the same app are untouched.
			f.wantMCP(first.AccessToken, http.StatusOK, "")
		})

		t.Run("revoking a refresh token revokes its family", func(t *testing.T) {
			f, a := f.at(t), a.at(f.at(t))
			tok := a.connect(site, approveAll)
			if code := a.revoke(tok.RefreshToken); code != http.StatusOK {
				t.Fatalf("revoke: %d", code)
			}
			f.wantMCP(tok.AccessToken, http.StatusUnauthorized, "revoked")
		})

		t.Run("another client cannot use or revoke the app's tokens", func(t *testing.T) {
			f, a := f.at(t), a.at(f.at(t))
			tok := a.connect(site, approveAll)
			thief := f.register(map[string]any{"client_name": "Thief"})
			if r := thief.refresh(tok.RefreshToken); r.Error != "invalid_grant" || !strings.Contains(r.Description, "another client") {
				t.Fatalf("refresh by another client = %+v", r)
			}
			if code := thief.revoke(tok.AccessToken); code == http.StatusOK {
				t.Fatal("another client revoked the app's token")
			}
			f.wantMCP(tok.AccessToken, http.StatusOK, "")
			if r := a.refresh(tok.RefreshToken); r.Status != http.StatusOK {
				t.Fatalf("the app's own refresh after the attempts = %+v", r)
			}
		})

		t.Run("a refresh token is no access token", func(t *testing.T) {
			f, a := f.at(t), a.at(f.at(t))
			tok := a.connect(site, approveAll)
			f.wantMCP(tok.RefreshToken, http.StatusUnauthorized, "")
			f.wantMCP("pbt_unknown", http.StatusUnauthorized, "unknown")
		})
	})
}

// revoke posts a token to the revocation endpoint as a.
func (a *app) revoke(token string) int {
	a.f.t.Helper()
	form := url.Values{"token": {token}, "client_id": {a.id}}
	resp, err := http.PostForm(a.f.srv.URL+"/oauth/revoke", form)
	if err != nil {
		a.f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// audit lists the organization's audit entries of an action, newest first.
func (f *fixture) audit(action string) []store.AuditEvent {
	f.t.Helper()
	var out struct {
		Events []store.AuditEvent `json:"events"`
	}
	if err := f.srv.Client.Do(f.ctx, "GET", "/v1/audit?action="+url.QueryEscape(action), nil, &out); err != nil {
		f.t.Fatal(err)
	}
	return out.Events
}

func TestExpiredAccessToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, servertest.Options{Configure: func(c *config.Config) { c.MCPTokenLifetime = time.Second }})
	a := f.register(nil)
	tok := a.connect(f.browser(), approveAll)
	if tok.ExpiresIn != 1 {
		t.Fatalf("expires_in = %d, want the configured 1s", tok.ExpiresIn)
	}
	time.Sleep(1100 * time.Millisecond)
	f.wantMCP(tok.AccessToken, http.StatusUnauthorized, "expired")
	next := a.refresh(tok.RefreshToken)
	if next.Status != http.StatusOK {
		t.Fatalf("refresh after expiry = %+v", next)
	}
	f.wantMCP(next.AccessToken, http.StatusOK, "")
}

// A token is bound to the resource it was issued for: another server (here
// a node of the same database under another public URL, as after a move)
// refuses it.
func TestTokenForAnotherResource(t *testing.T) {
	t.Parallel()
	db := storetest.PostgresURL(t)
	key := base64.StdEncoding.EncodeToString([]byte("two-nodes-one-key-0123456789abcd"))
	f := newFixture(t, servertest.Options{DatabaseURL: db, Configure: func(c *config.Config) { c.SecretKey = key }})
	tok := f.register(nil).connect(f.browser(), approveAll)
	f.wantMCP(tok.AccessToken, http.StatusOK, "")

	other := servertest.Start(t, servertest.Options{DatabaseURL: db, Configure: func(c *config.Config) {
		c.SecretKey = key
		_, port, _ := net.SplitHostPort(c.Addr)
		c.PublicURL = "http://localhost:" + port
	}})
	g := &fixture{t: t, ctx: f.ctx, srv: other}
	code, challenge, body := g.mcpStatus(tok.AccessToken)
	if code != http.StatusUnauthorized || !strings.Contains(body, "the access token is for "+f.srv.URL+"/mcp") {
		t.Fatalf("the other server answered %d\n%s", code, body)
	}
	if !strings.Contains(challenge, `resource_metadata="http://localhost:`) {
		t.Fatalf("WWW-Authenticate = %q; want this server's metadata", challenge)
	}
	var problem struct{ Detail string }
	_ = json.Unmarshal([]byte(body), &problem)
	if !strings.Contains(problem.Detail, "sign in to this server") {
		t.Fatalf("detail = %q", problem.Detail)
	}
}
