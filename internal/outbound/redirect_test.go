package outbound

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// lastRequest serves 200 and keeps the request line and headers of the
// latest request, as text.
func lastRequest(t *testing.T) (*countingServer, func() string) {
	var mu sync.Mutex
	var seen string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString(r.Method + " " + r.URL.RequestURI() + "\n")
		_ = r.Header.Write(&b)
		mu.Lock()
		seen = b.String()
		mu.Unlock()
	})
	return srv, func() string {
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// redirectTo answers every request with a 302 to target, carrying over
// the request's query as many APIs do.
func redirectTo(t *testing.T, target string) *countingServer {
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		to := target
		if r.URL.RawQuery != "" {
			to += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, to, http.StatusFound)
	})
}

func withCredentials(r *http.Request) error {
	r.Header.Set("X-API-Key", "hdr-secret")
	r.Header.Set("Authorization", "Bearer tok-secret")
	q := r.URL.Query()
	q.Set("access_key", "qry-secret")
	r.URL.RawQuery = q.Encode()
	return nil
}

func TestRedirectsCarryCredentialsOnlyWithinTheOrigin(t *testing.T) {
	t.Parallel()
	secrets := []string{"hdr-secret", "tok-secret", "qry-secret"}

	t.Run("another port is another origin", func(t *testing.T) {
		t.Parallel()
		other, seen := lastRequest(t)
		origin := redirectTo(t, other.URL+"/landed")
		res, err := newTestClient(t, Config{}).Do(context.Background(), &Request{URL: origin.URL + "/start?page=2", Prepare: withCredentials})
		if err != nil || res.Status != 200 {
			t.Fatalf("Do = %v, %v", res, err)
		}
		got := seen()
		for _, s := range secrets {
			if strings.Contains(got, s) {
				t.Errorf("the other origin received %q:\n%s", s, got)
			}
		}
		if strings.Contains(got, "Referer") || !strings.Contains(got, "page=2") {
			t.Errorf("the other origin should get the query without credentials and no Referer:\n%s", got)
		}
	})

	t.Run("the same origin keeps them", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		var landed string
		var srv *countingServer
		srv = serve(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/start" {
				http.Redirect(w, r, srv.URL+"/landed", http.StatusFound)
				return
			}
			mu.Lock()
			landed = r.Header.Get("X-API-Key") + " " + r.Header.Get("Authorization")
			mu.Unlock()
		})
		if _, err := newTestClient(t, Config{}).Do(context.Background(), &Request{URL: srv.URL + "/start", Prepare: withCredentials}); err != nil {
			t.Fatal(err)
		}
		if landed != "hdr-secret Bearer tok-secret" {
			t.Errorf("the redirected request within the origin carried %q", landed)
		}
	})

	t.Run("a secret echoed under another name is dropped", func(t *testing.T) {
		t.Parallel()
		other, seen := lastRequest(t)
		origin := serve(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/landed?next="+r.Header.Get("X-API-Key")+"&keep=1", http.StatusFound)
		})
		if _, err := newTestClient(t, Config{}).Do(context.Background(), &Request{URL: origin.URL, Prepare: withCredentials}); err != nil {
			t.Fatal(err)
		}
		if got := seen(); strings.Contains(got, "hdr-secret") || !strings.Contains(got, "keep=1") {
			t.Errorf("the other origin received:\n%s", got)
		}
	})

	t.Run("a secret in the path is refused", func(t *testing.T) {
		t.Parallel()
		other, _ := lastRequest(t)
		origin := serve(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/keys/"+r.Header.Get("X-API-Key"), http.StatusFound)
		})
		_, err := newTestClient(t, Config{}).Do(context.Background(), &Request{URL: origin.URL, Prepare: withCredentials})
		var re *RedirectError
		if !errors.As(err, &re) || other.hits.Load() != 0 || strings.Contains(err.Error(), "hdr-secret") {
			t.Fatalf("Do = %v, want a *RedirectError and the other origin never called", err)
		}
	})

	t.Run("libraries' clients strip Authorization across ports", func(t *testing.T) {
		t.Parallel()
		other, seen := lastRequest(t)
		origin := redirectTo(t, other.URL+"/landed")
		req, _ := http.NewRequest(http.MethodGet, origin.URL+"/token", nil)
		req.Header.Set("Authorization", "Basic tok-secret")
		resp, err := newTestClient(t, Config{}).HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := seen(); strings.Contains(got, "tok-secret") {
			t.Errorf("the other origin received:\n%s", got)
		}
	})
}

func TestSameOriginRedirectsRefuseAnotherOrigin(t *testing.T) {
	t.Parallel()
	other, _ := lastRequest(t)
	origin := redirectTo(t, other.URL+"/landed")
	_, err := newTestClient(t, Config{}).Do(context.Background(), &Request{
		URL: origin.URL + "/start?access_key=x", Redirects: SameOriginRedirects,
	})
	var re *RedirectError
	if !errors.As(err, &re) || re.Reason != CrossOriginRedirect {
		t.Fatalf("Do = %v, want a cross-origin *RedirectError", err)
	}
	if re.To != other.URL+"/landed" || strings.Contains(err.Error(), "access_key") {
		t.Errorf("RedirectError = %+v (%v)", re, err)
	}
	if n := other.hits.Load(); n != 0 {
		t.Errorf("the other origin was called %d times", n)
	}
	if n := origin.hits.Load(); n != 1 {
		t.Errorf("the origin was called %d times, want 1 (a refused redirect is not retried)", n)
	}
}

func TestOrigin(t *testing.T) {
	t.Parallel()
	same := [][2]string{
		{"https://api.example.com/v1", "https://API.example.com:443/v2?x=1"},
		{"http://api.example.com", "http://api.example.com:80/"},
		{"http://[::1]:8080/a", "http://[::1]:8080/b"},
	}
	for _, p := range same {
		if originOf(mustParse(t, p[0])) != originOf(mustParse(t, p[1])) {
			t.Errorf("%s and %s should share an origin", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"https://api.example.com", "http://api.example.com"},
		{"https://api.example.com", "https://api.example.com:8443"},
		{"https://api.example.com", "https://sub.api.example.com"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8081"},
	}
	for _, p := range differ {
		if originOf(mustParse(t, p[0])) == originOf(mustParse(t, p[1])) {
			t.Errorf("%s and %s should be different origins", p[0], p[1])
		}
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
