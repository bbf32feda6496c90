package auth_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// idp is a real OpenID Connect / OAuth 2.0 authorization server (zitadel's
// op package with its example storage and login page) on loopback. It
// counts the requests to its token endpoint by grant type.
type idp struct {
	Issuer, Auth, Token, Revoke, Introspect string
	store                                   *storage.Storage

	mu     sync.Mutex
	grants map[string]int
	// slow delays refresh token requests, widening the window in which
	// racing callers could ask again.
	slow atomic.Int64
}

const (
	webClient, webSecret = "web", "web-secret"
	svcClient, svcSecret = "sid1", "verysecret" // the example storage's service user
	idpUser, idpPassword = "test-user2", "verysecure"
)

// withService lets the service user's tokens be introspected: the example
// storage looks the token's subject up as a user.
type withService struct{ storage.UserStore }

func (u withService) GetUserByID(id string) *storage.User {
	if id == svcClient {
		return &storage.User{ID: svcClient, Username: svcClient}
	}
	return u.UserStore.GetUserByID(id)
}

// startIdP runs the authorization server; redirectURIs are the callback
// URLs of the Plugboard nodes that use it.
func startIdP(t *testing.T, redirectURIs ...string) *idp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	clients := map[string]*storage.Client{
		webClient: storage.WebClient(webClient, webSecret, redirectURIs...),
		// Registered as a client too, so it may introspect its own tokens.
		svcClient: storage.WebClient(svcClient, svcSecret, redirectURIs...),
	}
	st := storage.NewStorageWithClients(withService{storage.NewUserStore(issuer)}, clients)
	quiet := slog.New(slog.DiscardHandler)
	router := exampleop.SetupServer(issuer, st, nil, false)
	p := &idp{
		Issuer: issuer, Auth: issuer + "/auth", Token: issuer + "/oauth/token", Revoke: issuer + "/revoke",
		Introspect: issuer + "/oauth/introspect", store: st, grants: map[string]int{},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" && r.Method == http.MethodPost {
			_ = r.ParseForm()
			p.mu.Lock()
			p.grants[r.PostForm.Get("grant_type")]++
			p.mu.Unlock()
			if d := time.Duration(p.slow.Load()); d > 0 && r.PostForm.Get("grant_type") == "refresh_token" {
				time.Sleep(d)
			}
		}
		router.ServeHTTP(w, r)
	}), ErrorLog: slog.NewLogLogger(quiet.Handler(), slog.LevelError)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}

// Count reports how many token requests used grant.
func (p *idp) Count(grant string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.grants[grant]
}

// introspect asks the authorization server whether token is active,
// authenticating as the client the token was issued to.
func (p *idp) introspect(ctx context.Context, clientID, secret, token string) (bool, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.Introspect, strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var out struct {
		Active bool `json:"active"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out.Active, err
}

// resourceAPI is the API an integration calls: it accepts a bearer token
// only when the authorization server says it is active, else answers 401.
type resourceAPI struct {
	URL             string
	calls, refusals atomic.Int64
}

func startResourceAPI(t *testing.T, p *idp, clientID, secret string) *resourceAPI {
	t.Helper()
	api := &resourceAPI{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api.URL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.calls.Add(1)
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		active := false
		if ok {
			var err error
			if active, err = p.introspect(r.Context(), clientID, secret, token); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
		}
		if !active {
			api.refusals.Add(1)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return api
}
