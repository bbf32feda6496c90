package servertest

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Site is a visitor of the dashboard over HTTP with a cookie jar, seeing
// each answer as is (redirects are not followed). It keeps the last CSRF
// token a page carried, and sends it with forms.
type Site struct {
	t    testing.TB
	base string
	// Client is the visitor's HTTP client, with its cookies.
	Client *http.Client
	// CSRF is the last form token seen.
	CSRF string
}

// NewSite returns a visitor of the dashboard at base.
func NewSite(t testing.TB, base string) *Site {
	jar, _ := cookiejar.New(nil)
	return &Site{t: t, base: base, Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// Do sends req and returns the answer's status, body and headers.
func (s *Site) Do(req *http.Request) (int, string, http.Header) {
	s.t.Helper()
	resp, err := s.Client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		s.CSRF = m[1]
	}
	return resp.StatusCode, string(body), resp.Header
}

// Get fetches a page.
func (s *Site) Get(path string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.abs(path), nil)
	code, body, _ := s.Do(req)
	return code, body
}

// Post sends a form with the last CSRF token seen unless form sets one.
func (s *Site) Post(path string, form url.Values) (int, string, http.Header) {
	s.t.Helper()
	if _, set := form["csrf"]; !set {
		form.Set("csrf", s.CSRF)
	}
	req, _ := http.NewRequest(http.MethodPost, s.abs(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.Do(req)
}

func (s *Site) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return s.base + path
}

// SetPassword follows a sign-in link and sets a password, which signs the
// visitor in.
func (s *Site) SetPassword(link, email, password string) {
	s.t.Helper()
	if code, body := s.Get(link); code != http.StatusOK {
		s.t.Fatalf("GET sign-in link: %d\n%s", code, body)
	}
	u, _ := url.Parse(link)
	form := url.Values{"token": {u.Query().Get("token")}, "email": {email}, "name": {"Ada"}, "password": {password}, "confirm": {password}}
	if code, body, _ := s.Post(u.Path, form); code != http.StatusSeeOther {
		s.t.Fatalf("set password: %d\n%s", code, body)
	}
	if code, _ := s.Get("/"); code != http.StatusOK {
		s.t.Fatalf("after setting the password, / answers %d", code)
	}
}

// TransportFrom returns an HTTP transport whose connections leave from the
// local address ip, for tests of per-address limits: on loopback, any
// address of 127.0.0.0/8 is another client.
func TransportFrom(ip string) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}).DialContext
	return tr
}

// Bearer is an HTTP transport that sends token as the bearer of every
// request, as an MCP client holding an agent key or access token does.
type Bearer string

// RoundTrip sends r with the token.
func (b Bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

var firstLinkRE = regexp.MustCompile(`http://[^\s"]+/signin/first\?token=[A-Za-z0-9_]+`)

// SignInOwner signs the first owner in through the sign-in link the server
// printed at its first start, as ada@example.com.
func (in *Instance) SignInOwner(t testing.TB) *Site {
	t.Helper()
	link := firstLinkRE.FindString(in.Logs.String())
	if link == "" {
		t.Fatalf("the server printed no first sign-in link; output:\n%s", in.Logs.String())
	}
	s := NewSite(t, in.URL)
	s.SetPassword(link, "ada@example.com", "a long enough password")
	return s
}
