package clientip

import (
	"net/http/httptest"
	"testing"
)

func TestAddr(t *testing.T) {
	t.Parallel()
	r, err := New([]string{"10.0.0.0/8", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer, forwarded, want string
		resolver                    *Resolver
	}{
		{"a direct client", "198.51.100.1:5000", "", "198.51.100.1", r},
		{"forwarded by an untrusted peer is ignored", "198.51.100.1:5000", "203.0.113.9", "198.51.100.1", r},
		{"through a trusted proxy", "10.1.2.3:5000", "203.0.113.9", "203.0.113.9", r},
		{"the right-most untrusted hop wins over forged ones", "10.1.2.3:5000", "1.2.3.4, 203.0.113.9, 192.0.2.7", "203.0.113.9", r},
		{"a garbled hop stops at the last known", "10.1.2.3:5000", "nonsense", "10.1.2.3", r},
		{"IPv4 in IPv6 is unmapped", "[::ffff:198.51.100.1]:5000", "", "198.51.100.1", r},
		{"no resolver trusts no proxy", "10.1.2.3:5000", "203.0.113.9", "10.1.2.3", nil},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.peer
		if tc.forwarded != "" {
			req.Header.Set("X-Forwarded-For", tc.forwarded)
		}
		if got := tc.resolver.Addr(req).String(); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if _, err := New([]string{"not an address"}); err == nil {
		t.Error("New accepted a garbled proxy")
	}
}
