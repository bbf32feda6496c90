package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// The action-run path compared with a direct call and a bare reverse proxy
// of the same loopback upstream. See docs/benchmarks.md.

func benchUpstream(b *testing.B) *httptest.Server {
	body := []byte(`{"id":"c1","name":"Ada Lovelace","email":"ada@example.com"}`)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != "bench-key" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(up.Close)
	return up
}

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}}
}

type benchTarget struct {
	name string
	req  func() *http.Request
}

func runBench(b *testing.B, c *http.Client, newReq func() *http.Request) {
	b.Run("parallel", func(b *testing.B) { measure(b, c, newReq, 8) })
	b.Run("serial", func(b *testing.B) { measure(b, c, newReq, 0) })
}

// measure runs requests from 8 goroutines per core (parallel) or one at a
// time (serial: the latency a single caller sees), and reports p50 and p99.
func measure(b *testing.B, c *http.Client, newReq func() *http.Request, parallelism int) {
	b.ReportAllocs()
	lat := make(chan []time.Duration, 64)
	if parallelism == 0 {
		serial(b, c, newReq)
		return
	}
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			resp, err := c.Do(newReq())
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			mine = append(mine, time.Since(start))
		}
		lat <- mine
	})
	b.StopTimer()
	close(lat)
	var all []time.Duration
	for l := range lat {
		all = append(all, l...)
	}
	if len(all) > 0 {
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
}

func serial(b *testing.B, c *http.Client, newReq func() *http.Request) {
	all := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		resp, err := c.Do(newReq())
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		all = append(all, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
}

func BenchmarkCallPath(b *testing.B) {
	up := benchUpstream(b)
	c := benchClient()

	b.Run("direct", func(b *testing.B) {
		runBench(b, c, func() *http.Request {
			r, _ := http.NewRequest("GET", up.URL+"/v1/contacts/c1", nil)
			r.Header.Set("X-API-Key", "bench-key")
			return r
		})
	})

	b.Run("reverse_proxy", func(b *testing.B) {
		target, _ := url.Parse(up.URL)
		rp := httputil.NewSingleHostReverseProxy(target)
		rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
		px := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("X-API-Key", "bench-key")
			rp.ServeHTTP(w, r)
		}))
		defer px.Close()
		runBench(b, c, func() *http.Request {
			r, _ := http.NewRequest("GET", px.URL+"/v1/contacts/c1", nil)
			return r
		})
	})

	b.Run("action_run", func(b *testing.B) {
		srv := servertest.Start(b, servertest.Options{Quiet: true})
		ctx := context.Background()
		in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(`{"name": "Bench CRM", "baseUrl": %q,
			"auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
			"actions": [{"name": "Get Contact", "endpoint": "/v1/contacts/{id}", "parameters": {"id": "string"}}]}`, up.URL)))
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Client.Do(ctx, "POST", "/v1/integrations/"+in.ID+"/connections", map[string]any{"environment": "sandbox", "credentials": map[string]string{"api_key": "bench-key"}}, nil); err != nil {
			b.Fatal(err)
		}
		body := []byte(`{"environment":"sandbox","params":{"id":"c1"}}`)
		runURL := srv.URL + "/v1/integrations/" + in.ID + "/actions/get_contact/run"
		runBench(b, c, func() *http.Request {
			r, _ := http.NewRequest("POST", runURL, bytes.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+srv.Token)
			r.Header.Set("Content-Type", "application/json")
			return r
		})
	})
}
