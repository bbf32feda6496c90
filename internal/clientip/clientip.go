// Package clientip tells which address a request comes from: the
// connection's peer or, when that peer is a trusted proxy, the address the
// proxies forwarded. Per-address limits (webhook allowlists, sign-in and
// key-guessing lockouts) need the client's own address; behind a proxy
// the peer is the proxy, the same for every client.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client address. A nil *Resolver trusts no
// proxy.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a resolver that believes X-Forwarded-For from peers in
// trusted, a list of CIDRs or single addresses.
func New(trusted []string) (*Resolver, error) {
	prefixes, err := ParsePrefixes(trusted)
	if err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	return &Resolver{trusted: prefixes}, nil
}

// Addr is the client's address: the connection's peer, or, when that peer
// is a trusted proxy, the right-most X-Forwarded-For entry that is not
// itself a trusted proxy (entries further left are the client's to forge).
func (r *Resolver) Addr(req *http.Request) netip.Addr {
	peer := Peer(req)
	if r == nil || len(r.trusted) == 0 || !Contains(r.trusted, peer) {
		return peer
	}
	var hops []string
	for _, h := range req.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		a = a.Unmap()
		if !Contains(r.trusted, a) {
			return a
		}
		peer = a
	}
	return peer
}

// Peer is the address of the connection's other end.
func Peer(req *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// Contains reports whether ip is in one of the prefixes.
func Contains(prefixes []netip.Prefix, ip netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParsePrefixes reads CIDRs or single addresses.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR (203.0.113.0/24, 2001:db8::/32) nor an IP address", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
