package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// recorder is an upstream that remembers every request it received, as the
// text of its request line and headers.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newRecorder(t *testing.T, handler http.HandlerFunc) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL.RequestURI())
		_ = r.Header.Write(&b)
		rec.mu.Lock()
		rec.seen = append(rec.seen, b.String())
		rec.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) requests() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.seen...)
}

// redirectAuthCases are the ways a connection's secret travels, with the
// forms it may take; the last is the one on the wire.
var redirectAuthCases = []struct {
	name, auth string
	creds      map[string]string
	secrets    []string
}{
	{"api key in a header", `{"type": "api_key", "location": "header", "key": "X-API-Key"}`,
		map[string]string{"api_key": "hdr-secret-1"}, []string{"hdr-secret-1"}},
	{"api key in the query", `{"type": "api_key", "location": "query", "key": "access_key"}`,
		map[string]string{"api_key": "qry-secret-2"}, []string{"qry-secret-2"}},
	{"bearer", `{"type": "bearer"}`,
		map[string]string{"token": "brr-secret-3"}, []string{"brr-secret-3"}},
	{"basic", `{"type": "basic"}`,
		map[string]string{"username": "ada", "password": "bsc-secret-4"},
		[]string{"bsc-secret-4", base64.StdEncoding.EncodeToString([]byte("ada:bsc-secret-4"))}},
}

// An upstream that redirects to another origin (here the same host on
// another port) gets the connection's credentials, but the other origin
// receives none of them: not in headers, not in the query, not in Referer.
func TestCredentialsNeverFollowARedirectToAnotherOrigin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})
	other := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"landed": true}`)
	})
	origin := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		// The query is carried over as upstreams do, key included.
		http.Redirect(w, r, other.URL+"/landed?"+r.URL.RawQuery, http.StatusFound)
	})
	for i, tc := range redirectAuthCases {
		def := fmt.Sprintf(`{"name": "Redirecting %d", "baseUrl": %q, "auth": %s,
			"actions": [{"name": "Start", "endpoint": "/start", "parameters": {"q": "string"}}]}`, i, origin.URL, tc.auth)
		in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(def))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if _, err := srv.Client.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: tc.creds}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		res, err := srv.Client.Run(ctx, in.ID, "start", client.RunInput{Params: map[string]any{"q": "x"}})
		if err != nil || res.Status != 200 || !strings.Contains(string(res.Body), "landed") {
			t.Fatalf("%s: run: %+v %v", tc.name, res, err)
		}
		status, body := proxyGet(t, srv, in.ID, "start?q=y")
		if status != 200 || !strings.Contains(body, "landed") {
			t.Fatalf("%s: proxy: %d %s", tc.name, status, body)
		}
	}
	// The origin saw every secret, the other origin none.
	originSaw := strings.Join(origin.requests(), "\n")
	otherSaw := strings.Join(other.requests(), "\n")
	if n := len(other.requests()); n != 2*len(redirectAuthCases) {
		t.Fatalf("the other origin saw %d requests, want %d", n, 2*len(redirectAuthCases))
	}
	for _, tc := range redirectAuthCases {
		if !strings.Contains(originSaw, tc.secrets[len(tc.secrets)-1]) {
			t.Errorf("%s: the origin never received its credential", tc.name)
		}
		for _, s := range tc.secrets {
			if strings.Contains(otherSaw, s) {
				t.Errorf("%s: the other origin received the credential %q:\n%s", tc.name, s, otherSaw)
			}
		}
	}
	if strings.Contains(otherSaw, "Referer") {
		t.Errorf("the other origin received a Referer:\n%s", otherSaw)
	}
}

// A redirect within the origin keeps the credentials: it is the same API.
func TestCredentialsFollowARedirectWithinTheOrigin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})
	var origin *recorder
	origin = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, origin.URL+"/landed", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"key": %q}`, r.Header.Get("X-API-Key"))
	})
	def := fmt.Sprintf(`{"name": "Moved", "baseUrl": %q, "auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
		"actions": [{"name": "Start", "endpoint": "/start"}]}`, origin.URL)
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(def))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"api_key": "same-origin-key"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.Run(ctx, in.ID, "start", client.RunInput{Params: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	seen := origin.requests()
	if len(seen) != 2 || !strings.Contains(seen[1], "GET /landed") || !strings.Contains(seen[1], "X-Api-Key: same-origin-key") {
		t.Fatalf("the redirected request within the origin: %q", seen)
	}
}

// A definition with "redirects": "same_origin" refuses to follow an
// upstream to another origin, and the caller learns why and what to change.
func TestSameOriginRedirectsRefuseAnotherOrigin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})
	other := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {})
	origin := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
	})
	def := fmt.Sprintf(`{"name": "Strict", "baseUrl": %q, "redirects": "same_origin", "auth": {"type": "bearer"},
		"actions": [{"name": "Start", "endpoint": "/start"}]}`, origin.URL)
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(def))
	if err != nil {
		t.Fatal(err)
	}
	if in.Definition == nil || !strings.Contains(string(in.Definition), `"redirects":"same_origin"`) {
		t.Errorf("the stored definition lost the redirect policy: %s", in.Definition)
	}
	if _, err := srv.Client.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"token": "strict-token"}}); err != nil {
		t.Fatal(err)
	}
	_, err = srv.Client.Run(ctx, in.ID, "start", client.RunInput{Params: map[string]any{}})
	pe := problemOf(t, err, http.StatusBadGateway)
	for _, want := range []string{"redirected to another origin", other.URL, `"redirects": "follow"`} {
		if !strings.Contains(pe.Detail, want) {
			t.Errorf("detail %q does not say %q", pe.Detail, want)
		}
	}
	status, body := proxyGet(t, srv, in.ID, "start")
	if status != http.StatusBadGateway || !strings.Contains(body, "redirected to another origin") {
		t.Errorf("proxy: %d %s", status, body)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the other origin was called %d times", n)
	}
}

// proxyGet sends GET /v1/integrations/{id}/proxy/{path} as the owner.
func proxyGet(t *testing.T, srv *servertest.Instance, id, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/integrations/"+id+"/proxy/"+path, nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
