package outbound

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The two benchmarks call the same loopback upstream so that their difference
// is the cost of the guard, the concurrency slot and the capped read.

func benchUpstream(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"c_123","email":"ada@example.com"}`))
	}))
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkDo(b *testing.B) {
	srv := benchUpstream(b)
	c, err := New(Config{AllowPrivate: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := &Request{Key: "bench", URL: srv.URL + "/contacts?email=ada@example.com"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Do(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDirect(b *testing.B) {
	srv := benchUpstream(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	defer client.CloseIdleConnections()
	url := srv.URL + "/contacts?email=ada@example.com"
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}
