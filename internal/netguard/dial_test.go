package netguard

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
)

func TestCheckHost(t *testing.T) {
	t.Parallel()

	tests := []struct {
		host    string
		blocked bool
	}{
		{"localhost", true},
		{"127.0.0.1", true},
		{"[::1]", true},
		{"169.254.169.254", true},
		{"0.0.0.0", true},
		{"8.8.8.8", false},
		{"[2606:4700:4700::1111]", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			var g Guard
			err := g.CheckHost(context.Background(), tt.host)
			var blocked *BlockedError
			if got := errors.As(err, &blocked); got != tt.blocked {
				t.Fatalf("CheckHost(%q) = %v, want blocked=%v", tt.host, err, tt.blocked)
			}
		})
	}
}

func TestControlRejectsLoopbackDial(t *testing.T) {
	t.Parallel()

	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)

	var g Guard
	client := &http.Client{Transport: &http.Transport{DialContext: g.DialContext}}
	_, err := client.Get(srv.URL)
	var blocked *BlockedError
	if !errors.As(err, &blocked) {
		t.Fatalf("Get(%s) = %v, want *BlockedError", srv.URL, err)
	}
	if hits.Load() != 0 {
		t.Errorf("server saw %d requests, want 0", hits.Load())
	}

	open := Guard{AllowPrivate: true}
	client = &http.Client{Transport: &http.Transport{DialContext: open.DialContext}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatalf("AllowPrivate: Get = %v", err)
	}
	resp.Body.Close()
}

// A public server that redirects to an internal one must not get the client
// there: the redirect hop dials anew and the guard sees its address.
func TestControlRejectsRedirectToLoopback(t *testing.T) {
	t.Parallel()

	var internalHits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		internalHits.Add(1)
	}))
	t.Cleanup(internal.Close)

	var publicHits atomic.Int32
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		publicHits.Add(1)
		http.Redirect(w, r, internal.URL+"/secrets", http.StatusFound)
	}))
	t.Cleanup(public.Close)

	// The strict guard treats the first server as if it were a public host.
	g := Guard{exempt: netip.MustParseAddrPort(public.Listener.Addr().String())}
	client := &http.Client{Transport: &http.Transport{DialContext: g.DialContext}}

	_, err := client.Get(public.URL)
	var blocked *BlockedError
	if !errors.As(err, &blocked) {
		t.Fatalf("Get = %v, want *BlockedError on the redirect hop", err)
	}
	if blocked.IP != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("blocked IP = %s, want 127.0.0.1", blocked.IP)
	}
	if publicHits.Load() != 1 || internalHits.Load() != 0 {
		t.Errorf("hits: public %d internal %d, want 1 and 0", publicHits.Load(), internalHits.Load())
	}
}

func TestControlRejectsUnparsableAddress(t *testing.T) {
	t.Parallel()

	var g Guard
	if err := g.Control("tcp", "example.com:80", nil); err == nil {
		t.Fatal("Control accepted an unresolved host name")
	}
}
