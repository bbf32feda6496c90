package outbound

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/netguard"
)

func TestBackoff(t *testing.T) {
	t.Parallel()

	highest := func(n int64) int64 { return n - 1 }
	lowest := func(int64) int64 { return 0 }
	const base, maxDelay = 200 * time.Millisecond, 10 * time.Second
	tests := []struct {
		retry int
		want  time.Duration
	}{
		{0, 200 * time.Millisecond},
		{1, 400 * time.Millisecond},
		{2, 800 * time.Millisecond},
		{5, 6400 * time.Millisecond},
		{6, maxDelay},
		{62, maxDelay},
		{1000, maxDelay},
	}
	for _, tt := range tests {
		if got := Backoff(tt.retry, base, maxDelay, highest); got != tt.want {
			t.Errorf("Backoff(%d) ceiling = %s, want %s", tt.retry, got, tt.want)
		}
		if got := Backoff(tt.retry, base, maxDelay, lowest); got != 0 {
			t.Errorf("Backoff(%d) floor = %s, want 0", tt.retry, got)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()

	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"Sat, 01 Mar 2025 12:00:07 GMT", 7 * time.Second, true},
		{"Sat, 01 Mar 2025 11:00:00 GMT", 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.value, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tt.value, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRetryableError(t *testing.T) {
	t.Parallel()

	opErr := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", opErr(syscall.ECONNREFUSED), true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"server closed the connection", fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), true},
		{"ssrf refusal", opErr(&netguard.BlockedError{IP: netip.MustParseAddr("127.0.0.1"), Reason: "loopback address"}), false},
		{"unknown host", opErr(&net.DNSError{Err: "no such host", IsNotFound: true}), false},
		{"dns timeout", opErr(&net.DNSError{Err: "timeout", IsTimeout: true}), true},
		{"body too large", &TooLargeError{Which: "response", Limit: 1}, false},
		{"prepare failed", &prepareError{err: errors.New("no token")}, false},
	}
	for _, tt := range tests {
		if got := retryableError(tt.err); got != tt.want {
			t.Errorf("%s: retryableError = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()

	if _, err := New(Config{}); err != nil {
		t.Fatalf("New(zero Config) = %v", err)
	}
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Timeout: -time.Second}, "Config.Timeout"},
		{Config{MaxResponseBytes: -1}, "Config.MaxResponseBytes"},
		{Config{MaxAttempts: -2}, "Config.MaxAttempts"},
		{Config{BaseDelay: time.Second, MaxDelay: time.Millisecond}, "Config.MaxDelay"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
}

func TestTooLargeErrorMessage(t *testing.T) {
	t.Parallel()

	err := &TooLargeError{Which: "response", Limit: 10 << 20}
	if want := "outbound: response body exceeds the 10 MiB limit"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}
