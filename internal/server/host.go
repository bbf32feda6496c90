package server

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
)

// hostGuard refuses requests that name another host than the server's,
// the mark of DNS rebinding: a page on evil.example whose name now points
// at this server would otherwise reach the dashboard or /mcp from the
// victim's browser, on their network. It guards the surfaces a browser can
// be made to reach; the REST API and webhook intake authenticate every
// request with a secret the page does not have, and often sit behind
// proxies that rewrite Host.
type hostGuard struct {
	public   string // the public URL's host, with a port only when not the scheme's default
	loopback bool   // the server listens on loopback: loopback names are fine too
	expected string // the public URL, for the answer
}

func newHostGuard(publicURL, addr string) *hostGuard {
	u, _ := url.Parse(publicURL) // validated with the configuration
	g := &hostGuard{public: canonicalHost(u.Host, u.Scheme), expected: publicURL}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		g.loopback = isLoopbackName(host)
	}
	return g
}

func (g *hostGuard) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.allows(r) {
			problem.Write(w, problem.New(http.StatusMisdirectedRequest,
				"this server answers to %s (PLUGBOARD_PUBLIC_URL), not to %q; open %s/, or have your reverse proxy pass the Host header on", g.public, r.Host, g.expected))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (g *hostGuard) allows(r *http.Request) bool {
	scheme := "http"
	if strings.HasPrefix(g.expected, "https:") {
		scheme = "https"
	}
	if canonicalHost(r.Host, scheme) == g.public {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = strings.Trim(r.Host, "[]")
	}
	return g.loopback && isLoopbackName(host)
}

// canonicalHost lowercases host and drops the scheme's default port, so
// "Example.com:443" and "example.com" compare equal under https.
func canonicalHost(host, scheme string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if h, port, err := net.SplitHostPort(host); err == nil && (scheme == "https" && port == "443" || scheme == "http" && port == "80") {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return host
}

// isLoopbackName reports whether host is a loopback address or localhost.
func isLoopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
