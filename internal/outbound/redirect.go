package outbound

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// RedirectPolicy says what a call does when the API redirects it to
// another origin (scheme, host and port).
type RedirectPolicy int

const (
	// FollowRedirects follows a redirect to another origin without the
	// call's credentials: whatever [Request.Prepare] attached, the
	// Authorization, Proxy-Authorization and Cookie headers and the
	// Referer are left out. It is the default.
	FollowRedirects RedirectPolicy = iota
	// SameOriginRedirects refuses a redirect to another origin with a
	// *RedirectError, for APIs that should never send a call elsewhere.
	SameOriginRedirects
)

// Reasons a redirect is refused, in [RedirectError.Reason].
const (
	TooManyRedirects    = "too many redirects"
	InsecureRedirect    = "redirect from https to http"
	CrossOriginRedirect = "redirect to another origin"
)

// RedirectError reports a redirect a call refused to follow.
type RedirectError struct {
	// Reason is TooManyRedirects, InsecureRedirect or CrossOriginRedirect.
	Reason string
	// From is the origin the call started at, like https://api.example.com.
	From string
	// To is where the API redirected, without user info or query string.
	To string
	// Limit is Config.MaxRedirects, for TooManyRedirects.
	Limit int
}

// Error states which redirect was refused and why.
func (e *RedirectError) Error() string {
	switch e.Reason {
	case TooManyRedirects:
		return fmt.Sprintf("outbound: stopped after %d redirects", e.Limit)
	case InsecureRedirect:
		return fmt.Sprintf("outbound: refusing redirect from https to %s", e.To)
	}
	return fmt.Sprintf("outbound: refusing redirect from %s to another origin, %s", e.From, e.To)
}

// hopRules travel in a call's context to checkRedirect: where the call's
// credentials may go, and which they are.
type hopRules struct {
	policy  RedirectPolicy
	headers []string // names of the headers Prepare set
	params  []string // names of the query parameters Prepare set
	secrets []string // their values, to catch one echoed under another name
}

type hopRulesKey struct{}

func rulesOf(ctx context.Context) *hopRules {
	rules, _ := ctx.Value(hopRulesKey{}).(*hopRules)
	if rules == nil {
		return &hopRules{}
	}
	return rules
}

// learn records what prepare attached to req: every header and query
// parameter it added or changed counts as a credential.
func (h *hopRules) learn(req *http.Request, prepare func(*http.Request) error) error {
	header, rawQuery := req.Header.Clone(), req.URL.RawQuery
	if err := prepare(req); err != nil {
		return err
	}
	h.headers, h.params, h.secrets = nil, nil, nil
	for name, vals := range req.Header {
		if !slices.Equal(header[name], vals) {
			h.headers = append(h.headers, name)
			h.secrets = append(h.secrets, secretParts(vals)...)
		}
	}
	if req.URL.RawQuery == rawQuery {
		return nil // no parameter was added or changed
	}
	query, _ := url.ParseQuery(rawQuery)
	for name, vals := range req.URL.Query() {
		if !slices.Equal(query[name], vals) {
			h.params = append(h.params, name)
			h.secrets = append(h.secrets, vals...)
		}
	}
	return nil
}

// secretParts are the values of a header, and the credential after an
// authentication scheme ("Bearer <token>").
func secretParts(vals []string) []string {
	var out []string
	for _, v := range vals {
		out = append(out, v)
		if _, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok && strings.TrimSpace(cred) != "" {
			out = append(out, strings.TrimSpace(cred))
		}
	}
	return out
}

// checkRedirect caps redirect chains, refuses to leave https, which would
// expose headers and body on the wire, and keeps credentials to the
// origin the call started at. Once a chain has left that origin, no later
// hop gets them back. Each hop dials anew, so the guard checks its address
// too.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if c.cfg.MaxRedirects < 0 {
		return http.ErrUseLastResponse
	}
	first := via[0].URL
	refuse := func(reason, to string) error {
		return &RedirectError{Reason: reason, From: first.Scheme + "://" + first.Host, To: to, Limit: c.cfg.MaxRedirects}
	}
	if len(via) > c.cfg.MaxRedirects {
		return refuse(TooManyRedirects, location(req.URL))
	}
	if first.Scheme == "https" && req.URL.Scheme != "https" {
		return refuse(InsecureRedirect, location(req.URL))
	}
	from := originOf(first)
	left := originOf(req.URL) != from
	for _, r := range via[1:] {
		left = left || originOf(r.URL) != from
	}
	if !left {
		return nil
	}
	rules := rulesOf(req.Context())
	if rules.policy == SameOriginRedirects {
		return refuse(CrossOriginRedirect, location(req.URL))
	}
	stripCredentials(req, rules)
	if rules.carriedIn(req.URL) {
		// An API that puts the key into the path of another origin's URL
		// leaves nothing to strip; the hop is not taken, and the error
		// names only that origin.
		return refuse(CrossOriginRedirect, req.URL.Scheme+"://"+req.URL.Host)
	}
	return nil
}

// stripCredentials removes from a hop to another origin every header and
// query parameter that carries a credential, and the Referer, which
// repeats the previous URL with its query string.
func stripCredentials(req *http.Request, rules *hopRules) {
	for _, name := range append([]string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2", "Referer"}, rules.headers...) {
		req.Header.Del(name)
	}
	query := req.URL.Query()
	dropped := false
	for name, vals := range query {
		if slices.Contains(rules.params, name) || rules.anyIn(vals) {
			query.Del(name)
			dropped = true
		}
	}
	if dropped {
		req.URL.RawQuery = query.Encode()
	}
}

func (h *hopRules) anyIn(vals []string) bool {
	for _, v := range vals {
		for _, s := range h.secrets {
			if s != "" && strings.Contains(v, s) {
				return true
			}
		}
	}
	return false
}

// carriedIn reports whether a secret still appears anywhere in u.
func (h *hopRules) carriedIn(u *url.URL) bool {
	text, _ := url.PathUnescape(u.String())
	return h.anyIn([]string{u.String(), text})
}

// location shows a redirect's target without what may carry secrets: user
// info, the query string and the fragment.
func location(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
}

// originOf is a URL's origin as RFC 6454 compares them: scheme, host in
// lower case, and port, the scheme's default when none is written.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
