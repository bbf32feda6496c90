package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// site is a visitor of a dashboard over HTTP with a cookie jar, seeing
// each answer as is (redirects are not followed).
type site struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newSite(t *testing.T, base string) *site {
	jar, _ := cookiejar.New(nil)
	return &site{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (s *site) do(req *http.Request) (int, string, http.Header) {
	s.t.Helper()
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		s.csrf = m[1]
	}
	return resp.StatusCode, string(body), resp.Header
}

func (s *site) get(path string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.abs(path), nil)
	code, body, _ := s.do(req)
	return code, body
}

// post sends a form with the last CSRF token seen unless form sets one.
func (s *site) post(path string, form url.Values) (int, string, http.Header) {
	s.t.Helper()
	if _, set := form["csrf"]; !set {
		form.Set("csrf", s.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, s.abs(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req)
}

func (s *site) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return s.base + path
}

// setPassword follows a sign-in link and sets a password.
func (s *site) setPassword(link, email, password string) {
	s.t.Helper()
	if code, body := s.get(link); code != http.StatusOK {
		s.t.Fatalf("GET sign-in link: %d\n%s", code, body)
	}
	u, _ := url.Parse(link)
	form := url.Values{"token": {u.Query().Get("token")}, "email": {email}, "name": {"Ada"}, "password": {password}, "confirm": {password}}
	if code, body, _ := s.post(u.Path, form); code != http.StatusSeeOther {
		s.t.Fatalf("set password: %d\n%s", code, body)
	}
	if code, _ := s.get("/"); code != http.StatusOK {
		s.t.Fatalf("after setting the password, / answers %d", code)
	}
}
