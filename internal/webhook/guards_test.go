package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

func TestOversizedBodiesAreRefusedUnread(t *testing.T) {
	t.Parallel()
	srv := startServer(t, store.SQLite)
	wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Big", Source: "github", Secret: "s3cret"})
	big := bytes.Repeat([]byte("a"), 10<<20+1)
	expect(t, "declared length over 10 MB", wh.URL, big, nil, http.StatusRequestEntityTooLarge)

	// Without a Content-Length the body is cut at the limit.
	req, _ := http.NewRequest(http.MethodPost, wh.URL, io.MultiReader(bytes.NewReader(big), strings.NewReader("more")))
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked oversized body: status %d, want 413", resp.StatusCode)
	}
	page, err := srv.Client.ListEvents(context.Background(), wh.ID, client.EventQuery{})
	if err != nil || len(page.Events) != 0 {
		t.Fatalf("oversized events were stored: %+v %v", page, err)
	}
}

func TestIPAllowlist(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1/32"} }})
	direct := servertest.Start(t, servertest.Options{})
	body := []byte(`{"zen":"hi"}`)
	for _, tc := range []struct {
		name string
		srv  *servertest.Instance
		xff  string
		want int
	}{
		{"IPv4 in the list, through a trusted proxy", srv, "203.0.113.7", http.StatusOK},
		{"IPv6 in the list, through a trusted proxy", srv, "2001:db8::5", http.StatusOK},
		{"outside the list", srv, "198.51.100.1", http.StatusForbidden},
		{"forged left-most entry", srv, "203.0.113.7, 198.51.100.1", http.StatusForbidden},
		{"proxy chain ending in the list", srv, "198.51.100.1, 203.0.113.9, 127.0.0.1", http.StatusOK},
		{"X-Forwarded-For from an untrusted peer is ignored", direct, "203.0.113.7", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wh := createWebhook(t, tc.srv.Client, client.WebhookInput{Name: "IPs", Source: "github", Secret: "s3cret",
				AllowedIPs: []string{"203.0.113.0/24", "2001:db8::/32"}})
			h := githubSign(body, "s3cret")
			h.Set("X-Forwarded-For", tc.xff)
			expect(t, tc.name, wh.URL, body, h, tc.want)
		})
	}
	wh := createWebhook(t, direct.Client, client.WebhookInput{Name: "Loopback", Source: "github", Secret: "s3cret", AllowedIPs: []string{"127.0.0.1"}})
	expect(t, "single address", wh.URL, body, githubSign(body, "s3cret"), http.StatusOK)
	if _, err := direct.Client.CreateWebhook(context.Background(), client.WebhookInput{Name: "Bad", Source: "github", AllowedIPs: []string{"10.0.0.0/33"}}); err == nil ||
		!strings.Contains(err.Error(), "allowed_ips") {
		t.Fatalf("bad CIDR accepted: %v", err)
	}
}

// githubSign signs like GitHub (its scheme is the plain HMAC the
// documented vector checks in presets_test.go).
func githubSign(body []byte, secret string) http.Header {
	return signWith("github", body, secret)
}

func TestGuardsRunInOrder(t *testing.T) {
	t.Parallel()
	srv := startServer(t, store.SQLite)
	body := []byte(`{"zen":"hi"}`)
	blocked := createWebhook(t, srv.Client, client.WebhookInput{Name: "Blocked", Source: "github", Secret: "s", AllowedIPs: []string{"203.0.113.0/24"}, RateLimitPerSecond: 1})
	// Size before IP: the body is not read for a blocked sender either.
	expect(t, "oversized from a blocked IP", blocked.URL, bytes.Repeat([]byte("a"), 10<<20+1), nil, http.StatusRequestEntityTooLarge)
	// IP before rate: blocked requests use no tokens and get 403, not 429.
	for range 3 {
		expect(t, "blocked IP", blocked.URL, body, nil, http.StatusForbidden)
	}
	// Rate before signature: once the bucket is empty even a bad
	// signature gets 429, and Retry-After says when to come back.
	limited := createWebhook(t, srv.Client, client.WebhookInput{Name: "Limited", Source: "github", Secret: "s", RateLimitPerSecond: 1})
	expect(t, "bad signature within the rate", limited.URL, body, nil, http.StatusUnauthorized)
	expect(t, "bad signature over the rate", limited.URL, body, nil, http.StatusTooManyRequests)
}

// Every delivery is counted by its outcome, each refusal by the guard
// that refused it.
func TestDeliveriesAreCountedByOutcome(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Engine: store.SQLite, Configure: func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" }})
	body := []byte(`{"zen":"hi"}`)
	open := createWebhook(t, srv.Client, client.WebhookInput{Name: "Open", Source: "github", Secret: "s3cret"})
	signed := signWith("github", body, "s3cret")
	signed.Set("X-GitHub-Delivery", "d-1")
	deliver(t, open.URL, body, signed)
	if r := deliver(t, open.URL, body, signed); !r.Duplicate {
		t.Fatalf("the same delivery again: %+v, want a duplicate", r)
	}
	expect(t, "bad signature", open.URL, body, nil, http.StatusUnauthorized)
	expect(t, "oversized", open.URL, bytes.Repeat([]byte("a"), 10<<20+1), nil, http.StatusRequestEntityTooLarge)
	blocked := createWebhook(t, srv.Client, client.WebhookInput{Name: "Blocked", Source: "github", Secret: "s", AllowedIPs: []string{"203.0.113.0/24"}})
	expect(t, "blocked IP", blocked.URL, body, nil, http.StatusForbidden)
	limited := createWebhook(t, srv.Client, client.WebhookInput{Name: "Limited", Source: "github", Secret: "s", RateLimitPerSecond: 1})
	expect(t, "within the rate", limited.URL, body, nil, http.StatusUnauthorized)
	expect(t, "over the rate", limited.URL, body, nil, http.StatusTooManyRequests)
	expect(t, "no such webhook", srv.URL+"/hooks/wh_nosuchwebhook0000000000000", body, nil, http.StatusNotFound)

	text := srv.Metrics(t)
	for outcome, n := range map[string]int{"accepted": 1, "duplicate": 1, "unauthorized": 2, "too_large": 1,
		"forbidden": 1, "rate_limited": 1, "unknown_webhook": 1} {
		if want := fmt.Sprintf("plugboard_webhook_deliveries_total{outcome=%q} %d\n", outcome, n); !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, servertest.GrepLines(text, "plugboard_webhook_deliveries"))
		}
	}
}

func TestBurstOverTheRateLimit(t *testing.T) {
	t.Parallel()
	srv := startServer(t, store.SQLite)
	wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Burst", Source: "github", Secret: "s", RateLimitPerSecond: 5})
	accepted, limited := burst(t, []string{wh.URL}, 30, "s")
	if accepted < 5 || limited == 0 || accepted+limited != 30 {
		t.Fatalf("30 deliveries at a 5/s limit: %d accepted, %d limited", accepted, limited)
	}
	page, err := srv.Client.ListEvents(context.Background(), wh.ID, client.EventQuery{Limit: 500})
	if err != nil || len(page.Events) != accepted {
		t.Fatalf("stored %d events, accepted %d (%v)", len(page.Events), accepted, err)
	}
}

// burst sends n signed deliveries round-robin to urls as fast as one
// client can, and checks that accepted ones stay within a 5/s bucket.
func burst(t *testing.T, urls []string, n int, secret string) (accepted, limited int) {
	start := time.Now()
	for i := range n {
		body := []byte(`{"n":` + itoa(i) + `}`)
		status, h, data := post(t, urls[i%len(urls)], body, signWith("github", body, secret))
		switch status {
		case http.StatusOK:
			accepted++
		case http.StatusTooManyRequests:
			limited++
			if h.Get("Retry-After") == "" {
				t.Fatalf("429 without Retry-After")
			}
		default:
			t.Fatalf("delivery %d: %d %s", i, status, data)
		}
	}
	// A bucket of 5 refilling at 5/s can admit at most this many.
	if most := 5 + int(5*time.Since(start).Seconds()) + 1; accepted > most {
		t.Fatalf("%d accepted in %s; a 5/s bucket allows at most %d", accepted, time.Since(start), most)
	}
	return accepted, limited
}

// TestRateLimitIsClusterWide runs two nodes on one PostgreSQL database and
// one Redis: the webhook's bucket is shared.
func TestRateLimitIsClusterWide(t *testing.T) {
	t.Parallel()
	nodes := servertest.Cluster(t, 2, nil)
	a, b := nodes[0], nodes[1]
	wh := createWebhook(t, a.Client, client.WebhookInput{Name: "Shared", Source: "github", Secret: "s", RateLimitPerSecond: 5})
	other := b.URL + "/hooks/" + wh.ID
	accepted, limited := burst(t, []string{wh.URL, other}, 30, "s")
	if limited == 0 {
		t.Fatalf("two nodes accepted all 30 deliveries (%d) at a shared 5/s limit", accepted)
	}
}
