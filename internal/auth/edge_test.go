package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

// fakeAS is a token endpoint whose answers each test scripts, for cases a
// real server will not produce on demand; api accepts the tokens it
// issued and not revoked.
type fakeAS struct {
	token, api *httptest.Server
	requests   atomic.Int64
	answer     func(n int64, w http.ResponseWriter, r *http.Request) // n counts from 1

	mu    sync.Mutex
	valid map[string]bool
}

func newFakeAS(t *testing.T, answer func(n int64, w http.ResponseWriter, r *http.Request)) *fakeAS {
	f := &fakeAS{answer: answer, valid: map[string]bool{}}
	f.token = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.answer(f.requests.Add(1), w, r)
	}))
	f.api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		ok := f.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		f.mu.Unlock()
		if !ok {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(f.api.Close)
	t.Cleanup(f.token.Close)
	return f
}

// issue marks a token as accepted by the API and returns it.
func (f *fakeAS) issue(n int64) string {
	tok := fmt.Sprintf("access-%d", n)
	f.mu.Lock()
	f.valid[tok] = true
	f.mu.Unlock()
	return tok
}

func (f *fakeAS) revoke(tok string) {
	f.mu.Lock()
	delete(f.valid, tok)
	f.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeSetup is a Plugboard node with an integration on f.
func fakeSetup(t *testing.T, f *fakeAS, grant string, configure func(*config.Config), creds map[string]any) (*servertest.Instance, string, string) {
	t.Helper()
	pb := servertest.Start(t, servertest.Options{Configure: configure})
	def := fmt.Sprintf(`{"name": "Fake", "baseUrl": %q, "auth": {"type": "oauth2", "grant": %q,
		"authorize_url": %q, "token_url": %q, "token_auth": "body"},
		"actions": [{"name": "Who Am I", "method": "GET", "endpoint": "/me"}]}`, f.api.URL, grant, f.token.URL+"/authorize", f.token.URL+"/token")
	ctx := context.Background()
	in, err := pb.Client.CreateIntegration(ctx, json.RawMessage(def))
	if err != nil {
		t.Fatal(err)
	}
	var conn struct{ ID string }
	if err := pb.Client.Do(ctx, "POST", "/v1/integrations/"+in.ID+"/connections", map[string]any{"environment": "sandbox", "credentials": creds}, &conn); err != nil {
		t.Fatal(err)
	}
	return pb, in.ID, conn.ID
}

func runErr(pb *servertest.Instance, inID string) (*client.RunResult, error) {
	return pb.Client.Run(context.Background(), inID, "who_am_i", client.RunInput{Environment: "sandbox", Params: map[string]any{}})
}

func TestInvalidGrantMarksTheConnectionForReconnecting(t *testing.T) {
	t.Parallel()
	f := newFakeAS(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
	})
	pb, inID, connID := fakeSetup(t, f, "authorization_code", nil, map[string]any{
		"client_id": "id", "client_secret": "secret", "access_token": "old", "refresh_token": "dead",
		"expiry": time.Now().Add(-time.Minute).Format(time.RFC3339)})
	_, err := runErr(pb, inID)
	if problemStatus(t, err) != http.StatusConflict || !strings.Contains(err.Error(), "reconnect") ||
		!strings.Contains(err.Error(), "Token has been expired or revoked.") || !strings.Contains(err.Error(), "/connections/"+connID+"/authorize") {
		t.Fatalf("run: %v", err)
	}
	conn, _ := pb.Server.Store.GetConnectionByID(context.Background(), connID)
	if conn.Status != store.ConnNeedsReauth || !strings.Contains(conn.StatusReason, "invalid_grant") {
		t.Fatalf("connection: %s %q", conn.Status, conn.StatusReason)
	}
	// Later calls fail fast, without asking the provider again.
	_, err = runErr(pb, inID)
	if problemStatus(t, err) != http.StatusConflict || !strings.Contains(err.Error(), "plugboard connections authorize") {
		t.Fatalf("second run: %v", err)
	}
	if n := f.requests.Load(); n != 1 {
		t.Fatalf("token requests: %d, want 1", n)
	}
}

func TestTokenEndpointTimeoutIsRetriedWithinBounds(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	f := newFakeAS(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		select { // hang until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	pb, inID, connID := fakeSetup(t, f, "client_credentials", func(c *config.Config) { c.CallTimeout = 300 * time.Millisecond },
		map[string]any{"client_id": "id", "client_secret": "secret"})
	_, err := runErr(pb, inID)
	if s := problemStatus(t, err); s != http.StatusGatewayTimeout || !strings.Contains(err.Error(), "did not answer in time") {
		t.Fatalf("run: %v", err)
	}
	if n := f.requests.Load(); n != 3 {
		t.Fatalf("token requests: %d, want 3 (bounded retries)", n)
	}
	conn, _ := pb.Server.Store.GetConnectionByID(context.Background(), connID)
	if conn.Status != store.ConnActive {
		t.Fatalf("a timeout must not disconnect: %s %q", conn.Status, conn.StatusReason)
	}
}

func TestTransientTokenErrorsAreRetried(t *testing.T) {
	t.Parallel()
	var f *fakeAS
	f = newFakeAS(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			http.Error(w, "upstream busy", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": f.issue(n), "token_type": "bearer", "expires_in": 3600})
	})
	pb, inID, _ := fakeSetup(t, f, "client_credentials", nil, map[string]any{"client_id": "id", "client_secret": "secret"})
	if res, err := runErr(pb, inID); err != nil || res.Status != 200 {
		t.Fatalf("run: %+v %v", res, err)
	}
	if n := f.requests.Load(); n != 2 {
		t.Fatalf("token requests: %d, want 2", n)
	}
}

func TestTokenWithoutExpiryIsUsedUntilRefused(t *testing.T) {
	t.Parallel()
	var f *fakeAS
	f = newFakeAS(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_secret") != "secret" {
			writeJSON(w, 400, map[string]string{"error": "invalid_request"})
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": f.issue(n), "token_type": "bearer"})
	})
	pb, inID, connID := fakeSetup(t, f, "client_credentials", nil, map[string]any{"client_id": "id", "client_secret": "secret"})
	for range 3 {
		if res, err := runErr(pb, inID); err != nil || res.Status != 200 {
			t.Fatalf("run: %+v %v", res, err)
		}
	}
	conn, c := creds(t, pb, connID)
	if f.requests.Load() != 1 || !conn.TokenExpiry.IsZero() || !c.Expiry.IsZero() {
		t.Fatalf("token requests %d, expiry %v: want one token kept without expiry", f.requests.Load(), conn.TokenExpiry)
	}
	f.revoke(c.AccessToken)
	if res, err := runErr(pb, inID); err != nil || res.Status != 200 {
		t.Fatalf("run after revocation: %+v %v", res, err)
	}
	if n := f.requests.Load(); n != 2 {
		t.Fatalf("token requests: %d, want 2 (one after the 401)", n)
	}
}

func TestFormEncodedTokenResponse(t *testing.T) {
	t.Parallel()
	var f *fakeAS
	f = newFakeAS(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		fmt.Fprintf(w, "access_token=%s&token_type=bearer&expires_in=3600&scope=read", f.issue(n))
	})
	pb, inID, connID := fakeSetup(t, f, "client_credentials", nil, map[string]any{"client_id": "id", "client_secret": "secret"})
	if res, err := runErr(pb, inID); err != nil || res.Status != 200 {
		t.Fatalf("run: %+v %v", res, err)
	}
	conn, c := creds(t, pb, connID)
	if c.AccessToken != "access-1" || conn.TokenExpiry.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("form-encoded token not stored: expiry %v", conn.TokenExpiry)
	}
}
