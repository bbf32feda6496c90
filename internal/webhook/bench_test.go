package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// The ingest benchmarks post 1 KB signed events from 50 concurrent clients
// and report events/s and the 99th percentile latency; BenchmarkBareHandler
// is the ceiling: a net/http handler that reads the body and answers 200.
//
//	go test ./internal/webhook -run '^$' -bench 'Ingest|Bare' -benchtime 100000x

const benchClients = 50

func BenchmarkBareHandler(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	hammer(b, srv.URL, func([]byte) http.Header { return http.Header{} })
}

func BenchmarkIngest(b *testing.B) {
	for _, withTrigger := range []bool{false, true} {
		name := "verify+commit"
		if withTrigger {
			name = "verify+commit+trigger_job"
		}
		b.Run(name, func(b *testing.B) {
			_, c := quietServer(b)
			in := client.WebhookInput{Name: "Bench", Source: "github", Secret: "bench-secret", RateLimitPerSecond: 1_000_000}
			if withTrigger {
				api := newContactsAPI(b)
				in.Triggers = contactsTrigger(deployContacts(b, c, api))
			}
			wh, err := c.CreateWebhook(context.Background(), in)
			if err != nil {
				b.Fatal(err)
			}
			hammer(b, wh.URL, func(body []byte) http.Header { return signWith("github", body, "bench-secret") })
		})
	}
}

// quietServer runs a node on SQLite with logging at warn level, as in
// production, so the benchmark measures ingest rather than debug logs.
func quietServer(b *testing.B) (string, *client.Client) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Config{Addr: ln.Addr().String(), DataDir: b.TempDir(), AdminToken: servertest.AdminToken,
		AllowPrivateNetworks: true, ShutdownTimeout: 10 * time.Second}
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, logger, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ServeListener(ctx, ln) }()
	b.Cleanup(func() { cancel(); <-done })
	url := "http://" + ln.Addr().String()
	return url, client.New(url, servertest.AdminToken)
}

// hammer posts b.N distinct 1 KB events from benchClients goroutines.
func hammer(b *testing.B, url string, sign func([]byte) http.Header) {
	tr := &http.Transport{MaxIdleConnsPerHost: benchClients, MaxConnsPerHost: benchClients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	// Sign ahead of time: the clients stand in for the senders.
	bodies := make([][]byte, b.N)
	headers := make([]http.Header, b.N)
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"action":"opened","n":%d,"data":{"object":{"customer":"cus_%d"}},"pad":"%0920d"}`, i, i, 0)[:1024]
		bodies[i][1023] = '}'
		headers[i] = sign(bodies[i])
		headers[i].Set("Content-Type", "application/json")
	}
	var next atomic.Int64
	lat := make([][]time.Duration, benchClients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for g := range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i]))
				req.Header = headers[i]
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[g] = append(lat[g], time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(len(all))/elapsed.Seconds(), "events/s")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99_ms")
	}
}
