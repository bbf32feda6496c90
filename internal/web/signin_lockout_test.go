package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

var inviteLink = regexp.MustCompile(`http://dash\.test(/signin/invite\?token=[0-9A-Za-z_]+)`)

// TestSignInLockout guesses a member's password through the sign-in form:
// after a few failures the form answers 429 with Retry-After and says when
// to come back, while another member signing in from another address is
// not held back.
func TestSignInLockout(t *testing.T) {
	t.Parallel()
	srv, _, _, link := dashboard(t, store.SQLite, "http://dash.test")
	ada := servertest.NewSite(t, srv.URL)
	ada.SetPassword(link, "ada@example.com", "a long enough password")
	ada.Get("/members")
	_, page, _ := ada.Post("/members", url.Values{"email": {"bob@example.com"}, "role": {"developer"}})
	m := inviteLink.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no invitation link on the members page")
	}
	bob := servertest.NewSite(t, srv.URL)
	bob.Client.Transport = servertest.TransportFrom("127.0.0.2")
	bob.SetPassword(srv.URL+m[1], "bob@example.com", "bob's long enough password")
	if code, _, _ := bob.Post("/signout", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", code)
	}

	attacker := servertest.NewSite(t, srv.URL)
	attacker.Get("/signin")
	var (
		code int
		body string
		h    http.Header
	)
	for i := range 40 {
		code, body, h = attacker.Post("/signin", url.Values{"email": {"ada@example.com"}, "password": {fmt.Sprint("wrong password ", i)}})
		if code != http.StatusUnauthorized {
			break
		}
	}
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(body, "try again in") || !strings.Contains(body, "UTC") {
		t.Fatalf("after 40 wrong passwords: %d, Retry-After %q, want 429 and a page that says when to retry:\n%s", code, h.Get("Retry-After"), body)
	}

	bob.Get("/signin")
	if code, body, _ := bob.Post("/signin", url.Values{"email": {"bob@example.com"}, "password": {"bob's long enough password"}}); code != http.StatusSeeOther {
		t.Fatalf("another member from another address: %d\n%s", code, body)
	}
}
