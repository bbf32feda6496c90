package netguard

import (
	"fmt"
	"net/netip"
)

// BlockedError reports a connection the guard refused. Callers can find it
// with errors.As through any wrapping added by net/http.
type BlockedError struct {
	// IP is the address that was refused, after unmapping IPv4-mapped IPv6.
	IP netip.Addr
	// Reason names the kind of address, e.g. "loopback address".
	Reason string

	// final is set when AllowPrivate would not lift the refusal, so the
	// message does not suggest a switch that would not help.
	final bool
}

// Error says which address was refused, why, and how an operator can allow
// private networks when that would help.
func (e *BlockedError) Error() string {
	msg := fmt.Sprintf("netguard: refusing to connect to %s: %s", e.IP, e.Reason)
	if e.final {
		return msg
	}
	return msg + "; set PLUGBOARD_ALLOW_PRIVATE_NETWORKS=true to allow private networks"
}

// Guard decides which IP addresses outbound connections may reach. The zero
// value refuses everything that is not public global unicast.
type Guard struct {
	// AllowPrivate allows loopback, private, link-local and other
	// non-public addresses. Cloud metadata endpoints stay refused.
	AllowPrivate bool

	// exempt lets in-package tests stand a loopback server in for a public
	// host: a dial to exactly this address and port passes Control.
	exempt netip.AddrPort
}

// metadataAddrs are the instance metadata services of the large clouds. They
// hand out the host's credentials, so no setting lets a call reach them.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack and others
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// reservedPrefixes are ranges the netip predicates do not cover but that are
// not reachable on the public internet (IANA special-purpose registries).
var reservedPrefixes = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network" address`},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved address"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible IPv6 address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "discard-only address"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation address"},
}

var (
	nat64Prefix  = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour    = netip.MustParsePrefix("2002::/16")
	teredoPrefix = netip.MustParsePrefix("2001::/32")
)

// Check reports whether a connection to ip is allowed. It returns nil or a
// *BlockedError.
func (g *Guard) Check(ip netip.Addr) error {
	ip = ip.Unmap()
	if reason, final := classify(ip); reason != "" && (final || !g.AllowPrivate) {
		return &BlockedError{IP: ip, Reason: reason, final: final}
	}
	return nil
}

// classify returns why ip is not a public address, or "" if it is. final
// marks reasons that AllowPrivate does not lift.
func classify(ip netip.Addr) (reason string, final bool) {
	if !ip.IsValid() {
		return "invalid address", true
	}
	for _, m := range metadataAddrs {
		if ip == m {
			return "cloud metadata endpoint", true
		}
	}
	switch {
	case ip.IsUnspecified():
		return "unspecified address", false
	case ip.IsLoopback():
		return "loopback address", false
	case ip.IsPrivate():
		return "private address", false
	case ip.IsLinkLocalUnicast():
		return "link-local address", false
	case ip.IsMulticast():
		return "multicast address", false
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast address", false
	}
	for _, r := range reservedPrefixes {
		if r.prefix.Contains(ip) {
			return r.reason, false
		}
	}
	// Translation and tunnel prefixes carry an IPv4 address inside the IPv6
	// one; a gateway would forward to it, so judge the embedded address.
	if inner, ok := embeddedIPv4(ip); ok {
		if reason, final := classify(inner); reason != "" {
			return reason + " embedded in " + ip.String(), final
		}
	}
	if !ip.IsGlobalUnicast() {
		return "not a global unicast address", false
	}
	return "", false
}

// embeddedIPv4 extracts the IPv4 address carried by a NAT64, 6to4 or Teredo
// address.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case nat64Prefix.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	case teredoPrefix.Contains(ip):
		// Teredo stores the client address with every bit inverted.
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), true
	}
	return netip.Addr{}, false
}
