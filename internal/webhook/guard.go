package webhook

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the sender's address: the connection's peer, or, when that
// peer is a trusted proxy, the right-most X-Forwarded-For entry that is not
// itself a trusted proxy (entries further left are the sender's to forge).
func (s *Service) clientIP(r *http.Request) netip.Addr {
	peer := remoteAddr(r)
	if len(s.proxies) == 0 || !allowed(s.proxies, peer) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	var list []string
	for _, h := range hops {
		list = append(list, strings.Split(h, ",")...)
	}
	for i := len(list) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(list[i]))
		if err != nil {
			return peer
		}
		a = a.Unmap()
		if !allowed(s.proxies, a) {
			return a
		}
		peer = a
	}
	return peer
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// allowed reports whether ip is in list; an empty list allows everyone.
func allowed(list []netip.Prefix, ip netip.Addr) bool {
	if len(list) == 0 {
		return true
	}
	for _, p := range list {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
