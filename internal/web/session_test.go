package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/account"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/org"
	"github.com/plugboard/plugboard/internal/retention"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
	"github.com/plugboard/plugboard/internal/web"
)

// clock is a test clock the handlers may read concurrently.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// dashboard runs only the dashboard on a store of engine, with a clock.
func dashboard(t *testing.T, engine, publicURL string) (*httptest.Server, *web.Web, *clock, string) {
	t.Helper()
	st := storetest.Open(t, engine)
	ctx := context.Background()
	email := storetest.Name("ada") + "@example.com"
	if _, _, err := st.CreateOrg(ctx, store.Org{Name: "Acme", Plan: "growth"}, store.User{Email: email, Name: "Ada"}, "", "", ""); err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	// Only what these pages use: sessions, the integration list (empty),
	// the members and what the organization keeps.
	rules := access.New(st)
	accounts := account.New(account.Config{Store: st, PublicURL: publicURL, Now: clk.Now, SessionIdle: time.Hour, SessionLifetime: 24 * time.Hour})
	wb, err := web.New(web.Deps{
		Accounts: accounts, PublicURL: publicURL,
		Integrations: integration.New(integration.Deps{Store: st, Rules: rules}),
		Org:          org.New(org.Deps{Store: st, Accounts: accounts}),
		Retention:    retention.New(retention.Deps{Store: st}),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	wb.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	link, _, err := accounts.FirstSignInLink(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	return srv, wb, clk, strings.Replace(link, publicURL, srv.URL, 1)
}

func TestSessions(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		t.Run("an idle session ends and sends the member to sign in", func(t *testing.T) {
			t.Parallel()
			srv, _, clk, link := dashboard(t, engine, "http://dash.test")
			s := servertest.NewSite(t, srv.URL)
			s.SetPassword(link, "ada@example.com", "a long enough password")
			clk.Advance(59 * time.Minute)
			if code, _ := s.Get("/"); code != http.StatusOK {
				t.Fatalf("within the idle timeout: %d", code)
			}
			clk.Advance(61 * time.Minute)
			code, _ := s.Get("/members")
			if code != http.StatusSeeOther {
				t.Fatalf("after the idle timeout: %d, want 303 to sign in", code)
			}
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/members", nil)
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/signin?") {
				t.Fatalf("redirect to %q, want the sign-in page", loc)
			}
		})
		t.Run("a session ends at its lifetime even when used", func(t *testing.T) {
			t.Parallel()
			srv, _, clk, link := dashboard(t, engine, "http://dash.test")
			s := servertest.NewSite(t, srv.URL)
			s.SetPassword(link, "ada@example.com", "a long enough password")
			// Used every 59 minutes, it never idles out; it still ends
			// once 24 hours have passed since sign-in.
			for i := 1; i <= 25; i++ {
				clk.Advance(59 * time.Minute)
				want := http.StatusOK
				if time.Duration(i)*59*time.Minute >= 24*time.Hour {
					want = http.StatusSeeOther
				}
				if code, _ := s.Get("/"); code != want {
					t.Fatalf("%d minutes after sign-in: %d, want %d", i*59, code, want)
				}
			}
		})
		t.Run("sign-out ends the session and links work once", func(t *testing.T) {
			t.Parallel()
			srv, _, _, link := dashboard(t, engine, "http://dash.test")
			s := servertest.NewSite(t, srv.URL)
			s.SetPassword(link, "ada@example.com", "a long enough password")
			if code, _ := s.Get(link); code != http.StatusGone {
				t.Fatalf("second use of the link: %d, want 410", code)
			}
			if code, _, _ := s.Post("/signout", url.Values{}); code != http.StatusSeeOther {
				t.Fatalf("sign out: %d", code)
			}
			if code, _ := s.Get("/"); code != http.StatusSeeOther {
				t.Fatalf("after sign-out: %d, want 303", code)
			}
			s.Get("/signin")
			if code, body, _ := s.Post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"wrong password!"}}); code != http.StatusUnauthorized || !strings.Contains(body, "do not match") {
				t.Fatalf("wrong password: %d", code)
			}
			if code, _, _ := s.Post("/signin", url.Values{"email": {"ADA@example.com"}, "password": {"a long enough password"}}); code != http.StatusSeeOther {
				t.Fatalf("sign in: %d", code)
			}
			if code, _ := s.Get("/"); code != http.StatusOK {
				t.Fatalf("signed in again: %d", code)
			}
		})
	})
}

func TestSessionCookies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		publicURL, name string
		secure          bool
	}{{"http://dash.test", "pb_session", false}, {"https://dash.example", "__Host-pb_session", true}} {
		t.Run(tc.publicURL, func(t *testing.T) {
			t.Parallel()
			srv, _, _, link := dashboard(t, store.SQLite, tc.publicURL)
			s := servertest.NewSite(t, srv.URL)
			s.Get(link)
			u, _ := url.Parse(link)
			_, _, h := s.Post(u.Path, url.Values{"token": {u.Query().Get("token")}, "email": {"ada@example.com"}, "password": {"a long enough password"}, "confirm": {"a long enough password"}})
			var found *http.Cookie
			for _, c := range (&http.Response{Header: h}).Cookies() {
				if c.Name == tc.name && c.Value != "" {
					found = c
				}
			}
			if found == nil {
				t.Fatalf("no %s cookie in %v", tc.name, h["Set-Cookie"])
			}
			if !found.HttpOnly || found.SameSite != http.SameSiteLaxMode || found.Secure != tc.secure || found.Path != "/" {
				t.Fatalf("cookie %+v: want HttpOnly, SameSite=Lax, Secure=%v, Path=/", found, tc.secure)
			}
		})
	}
}

func TestCSRFRefusal(t *testing.T) {
	t.Parallel()
	srv, _, _, link := dashboard(t, store.SQLite, "http://dash.test")
	s := servertest.NewSite(t, srv.URL)
	s.SetPassword(link, "ada@example.com", "a long enough password")
	s.Get("/members")
	good := s.CSRF
	invite := func(token string, header http.Header) (int, string) {
		form := url.Values{"email": {"bob@example.com"}, "role": {"developer"}}
		if token != "-" {
			form.Set("csrf", token)
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/members", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		code, body, _ := s.Do(req)
		return code, body
	}
	for _, tc := range []struct {
		name   string
		token  string
		header http.Header
	}{
		{"no token", "-", nil},
		{"empty token", "", nil},
		{"another token", otherToken(good), nil},
		{"a cross-site post with the right token", good, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
	} {
		code, body := invite(tc.token, tc.header)
		if code != http.StatusForbidden || !strings.Contains(body, "Form refused") || !strings.Contains(body, "reload the page") {
			t.Errorf("%s: %d, want 403 with a page that says what to do", tc.name, code)
		}
	}
	if code, _ := invite(good, nil); code != http.StatusCreated {
		t.Fatalf("with the right token: %d, want 201", code)
	}

	// Signed-out forms carry the token of a cookie.
	anon := servertest.NewSite(t, srv.URL)
	if code, _, _ := anon.Post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"a long enough password"}}); code != http.StatusForbidden {
		t.Fatalf("sign-in without the form's token: %d, want 403", code)
	}
	anon.Get("/signin")
	if code, _, _ := anon.Post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"a long enough password"}}); code != http.StatusSeeOther {
		t.Fatalf("sign-in with the form's token: %d, want 303", code)
	}
}

// otherToken returns a token that differs from good in its first character
// (a fixed replacement would equal good whenever good starts with it).
func otherToken(good string) string {
	if good[0] == 'x' {
		return "y" + good[1:]
	}
	return "x" + good[1:]
}
