package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

// TestSignInRedirectStaysOnSite signs in through the real form with hostile
// next values: every one lands on "/", never on another site.
func TestSignInRedirectStaysOnSite(t *testing.T) {
	t.Parallel()
	srv, _, _, link := dashboard(t, store.SQLite, "http://dash.test")
	s := servertest.NewSite(t, srv.URL)
	s.SetPassword(link, "ada@example.com", "a long enough password")
	for _, next := range []string{
		"//evil.example", "/\\evil.example", "/\t/evil.example", "/%09/evil.example", "/\r\n/evil.example",
		"/%0d%0a/evil.example", "/%5c%5cevil.example", "/%2f%2fevil.example", "/%252f%252fevil.example",
		"https://evil.example/", "http:evil.example", "javascript:alert(1)", "evil.example",
	} {
		// Signed in, the sign-in page sends the member on at once.
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/signin?"+url.Values{"next": {next}}.Encode(), nil)
		if code, _, h := s.Do(req); code != http.StatusSeeOther || h.Get("Location") != "/" {
			t.Errorf("signed in, next %q: %d Location %q, want 303 to /", next, code, h.Get("Location"))
		}
		// Signed out, the form carries next through the sign-in.
		anon := servertest.NewSite(t, srv.URL)
		anon.Get("/signin?" + url.Values{"next": {next}}.Encode())
		code, _, h := anon.Post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"a long enough password"}, "next": {next}})
		if code != http.StatusSeeOther || h.Get("Location") != "/" {
			t.Errorf("sign-in with next %q: %d Location %q, want 303 to /", next, code, h.Get("Location"))
		}
	}
	// A path on this site is kept.
	anon := servertest.NewSite(t, srv.URL)
	anon.Get("/signin?next=%2Fmembers")
	if code, _, h := anon.Post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"a long enough password"}, "next": {"/members?tab=1"}}); code != http.StatusSeeOther || h.Get("Location") != "/members?tab=1" {
		t.Fatalf("sign-in with next /members?tab=1: %d Location %q", code, h.Get("Location"))
	}
}
