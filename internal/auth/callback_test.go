package auth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("callback page type %q", ct)
	}
	return resp.StatusCode, string(body)
}

// pendingConnection adds an authorization code connection and starts its
// flow, returning the connection id and the state in the provider URL.
func pendingConnection(t *testing.T, s *setup) (string, string) {
	t.Helper()
	ctx := context.Background()
	conn, err := s.pb.Client.AddConnection(ctx, s.inID, client.ConnectionInput{Environment: "sandbox",
		Credentials: map[string]string{"client_id": webClient, "client_secret": webSecret}})
	if err != nil {
		t.Fatal(err)
	}
	link, err := s.pb.Client.AuthorizeURL(ctx, s.inID, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	return conn.ID, u.Query().Get("state")
}

func TestCallbackRefusesReplayedForgedAndExpiredStates(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "authorization_code")
	ctx := context.Background()
	connID, _ := pendingConnection(t, s)
	link, _ := s.pb.Client.AuthorizeURL(ctx, s.inID, connID)

	// Sign in, but stop at Plugboard's callback to keep its URL.
	b := newBrowser(t)
	var callback string
	b.hc.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), s.pb.URL+"/oauth/callback") {
			callback = r.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}
	b.authorize(link)
	if callback == "" {
		t.Fatal("the provider did not redirect to the callback")
	}
	if status, page := get(t, callback); status != 200 || !strings.Contains(page, "Connected") {
		t.Fatalf("first use: %d %s", status, page)
	}
	if status, page := get(t, callback); status != 400 || !strings.Contains(page, "already used") {
		t.Fatalf("replay: %d %s", status, page)
	}
	if status, page := get(t, s.pb.URL+"/oauth/callback?state=forged&code=x"); status != 400 || !strings.Contains(page, "not valid") {
		t.Fatalf("forged: %d %s", status, page)
	}
	if status, _ := get(t, s.pb.URL+"/oauth/callback?code=x"); status != 400 {
		t.Fatalf("missing state: %d", status)
	}
	// An expired state is refused, and used up.
	_, state := pendingConnection2(t, s)
	if _, err := s.pb.Server.Store.DB().ExecContext(ctx, `UPDATE oauth_states SET expires_at = 1`); err != nil {
		t.Fatal(err)
	}
	if status, page := get(t, s.pb.URL+"/oauth/callback?code=x&state="+state); status != 400 || !strings.Contains(page, "expired") {
		t.Fatalf("expired: %d %s", status, page)
	}
	if n := s.idp.Count("authorization_code"); n != 1 {
		t.Fatalf("code exchanges: %d, want 1", n)
	}
}

// pendingConnection2 starts a flow on a second, production connection.
func pendingConnection2(t *testing.T, s *setup) (string, string) {
	t.Helper()
	ctx := context.Background()
	conn, err := s.pb.Client.AddConnection(ctx, s.inID, client.ConnectionInput{Environment: "production",
		Credentials: map[string]string{"client_id": webClient, "client_secret": webSecret}})
	if err != nil {
		t.Fatal(err)
	}
	link, err := s.pb.Client.AuthorizeURL(ctx, s.inID, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	return conn.ID, u.Query().Get("state")
}

func TestCallbackShowsTheProvidersErrorInWords(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "authorization_code")
	connID, state := pendingConnection(t, s)
	q := url.Values{"state": {state}, "error": {"access_denied"}, "error_description": {"The user <b>declined</b>."}}
	status, page := get(t, s.pb.URL+"/oauth/callback?"+q.Encode())
	if status != 400 || !strings.Contains(page, "access was denied") || !strings.Contains(page, "The user &lt;b&gt;declined&lt;/b&gt;.") {
		t.Fatalf("error page: %d %s", status, page)
	}
	conn, err := s.pb.Client.GetConnection(context.Background(), s.inID, connID)
	if err != nil || conn.Status != store.ConnPending || !strings.Contains(conn.StatusReason, "access_denied") {
		t.Fatalf("connection after refusal: %+v %v", conn, err)
	}
}

func TestAuthorizeRefusesConnectionsWithoutTheCodeGrant(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "client_credentials")
	ctx := context.Background()
	conn, err := s.pb.Client.AddConnection(ctx, s.inID, client.ConnectionInput{Environment: "sandbox",
		Credentials: map[string]string{"client_id": svcClient, "client_secret": svcSecret}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.pb.Client.AuthorizeURL(ctx, s.inID, conn.ID)
	var ae *client.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusConflict {
		t.Fatalf("authorize a client credentials connection: %v", err)
	}
}
