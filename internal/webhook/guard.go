package webhook

import (
	"net/netip"

	"github.com/plugboard/plugboard/internal/clientip"
)

// allowed reports whether ip is in list; an empty list allows everyone.
func allowed(list []netip.Prefix, ip netip.Addr) bool {
	return len(list) == 0 || clientip.Contains(list, ip)
}
