package netguard

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()

	tests := []struct {
		ip     string
		reason string // "" means allowed
	}{
		{"169.254.169.254", "cloud metadata endpoint"},
		{"169.254.1.1", "link-local address"},
		{"::1", "loopback address"},
		{"127.0.0.1", "loopback address"},
		{"127.1.2.3", "loopback address"},
		{"0.0.0.0", "unspecified address"},
		{"::", "unspecified address"},
		{"0.1.2.3", `"this network" address`},
		{"::ffff:127.0.0.1", "loopback address"},
		{"::ffff:169.254.169.254", "cloud metadata endpoint"},
		{"10.0.0.1", "private address"},
		{"172.16.5.4", "private address"},
		{"172.31.255.255", "private address"},
		{"192.168.1.1", "private address"},
		{"fd12:3456::1", "private address"},
		{"100.64.0.1", "shared address space (CGNAT)"},
		{"100.127.255.254", "shared address space (CGNAT)"},
		{"fe80::1", "link-local address"},
		{"224.0.0.1", "multicast address"},
		{"ff02::1", "multicast address"},
		{"255.255.255.255", "broadcast address"},
		{"240.0.0.1", "reserved address"},
		{"192.0.2.10", "documentation address"},
		{"64:ff9b::10.0.0.1", "private address embedded in 64:ff9b::a00:1"},
		{"64:ff9b::7f00:1", "loopback address embedded in 64:ff9b::7f00:1"},
		{"2002:7f00:1::", "loopback address embedded in 2002:7f00:1::"},
		{"2002:c0a8:101::1", "private address embedded in 2002:c0a8:101::1"},
		{"fd00:ec2::254", "cloud metadata endpoint"},

		{"93.184.215.14", ""},
		{"8.8.8.8", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"2606:4700:4700::1111", ""},
		{"64:ff9b::8.8.8.8", ""},
		{"::ffff:8.8.8.8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			t.Parallel()
			var g Guard
			err := g.Check(netip.MustParseAddr(tt.ip))
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Check(%s) = %v, want allowed", tt.ip, err)
				}
				return
			}
			var blocked *BlockedError
			if !errors.As(err, &blocked) {
				t.Fatalf("Check(%s) = %v, want *BlockedError", tt.ip, err)
			}
			if blocked.Reason != tt.reason {
				t.Errorf("reason = %q, want %q", blocked.Reason, tt.reason)
			}
		})
	}
}

func TestCheckAllowPrivate(t *testing.T) {
	t.Parallel()

	g := Guard{AllowPrivate: true}
	for _, ip := range []string{"127.0.0.1", "::1", "10.1.2.3", "192.168.0.10", "fe80::1", "100.64.0.1"} {
		if err := g.Check(netip.MustParseAddr(ip)); err != nil {
			t.Errorf("AllowPrivate: Check(%s) = %v, want allowed", ip, err)
		}
	}
	// The metadata endpoint hands out the host's credentials; no switch opens it.
	err := g.Check(netip.MustParseAddr("169.254.169.254"))
	var blocked *BlockedError
	if !errors.As(err, &blocked) {
		t.Fatalf("AllowPrivate: metadata endpoint allowed, want refused")
	}
	if strings.Contains(err.Error(), "PLUGBOARD_ALLOW_PRIVATE_NETWORKS") {
		t.Errorf("message %q suggests a switch that would not help", err)
	}
}

func TestBlockedErrorMessage(t *testing.T) {
	t.Parallel()

	var g Guard
	err := g.Check(netip.MustParseAddr("127.0.0.1"))
	want := "netguard: refusing to connect to 127.0.0.1: loopback address; " +
		"set PLUGBOARD_ALLOW_PRIVATE_NETWORKS=true to allow private networks"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
}
