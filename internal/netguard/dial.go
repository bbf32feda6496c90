package netguard

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Control checks the address a socket is about to connect to. Its signature
// matches [net.Dialer.Control], where it runs after DNS resolution for every
// candidate address, so rebinding and redirects cannot slip past it.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netguard: cannot parse dial address %q: %w", address, err)
	}
	if g.exempt.IsValid() && ap == g.exempt {
		return nil
	}
	return g.Check(ap.Addr())
}

// Dialer returns a [net.Dialer] with the guard installed and timeouts suited
// to calling remote APIs.
func (g *Guard) Dialer() *net.Dialer {
	return &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		Control:   g.Control,
	}
}

// DialContext connects like [net.Dialer.DialContext] through [Guard.Dialer].
// Its method value fits [net/http.Transport.DialContext].
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return g.Dialer().DialContext(ctx, network, address)
}

// CheckHost resolves host and returns a *BlockedError for the first address
// the guard refuses, so a bad base URL is reported when it is saved rather
// than when it is first called. host may be a name, an IP literal or a
// bracketed IPv6 literal, without a port. Resolution failures are returned
// wrapped; they are not refusals.
func (g *Guard) CheckHost(ctx context.Context, host string) error {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip, err := netip.ParseAddr(host); err == nil {
		return g.Check(ip)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("netguard: resolve %s: %w", host, err)
	}
	for _, ip := range ips {
		if err := g.Check(ip); err != nil {
			return err
		}
	}
	return nil
}
