package sdk_test

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/sdk"
)

// BenchmarkInvocation measures an invocation's round trip on loopback:
// the server queues it, a long-polling worker receives it, runs an action
// that returns at once, and posts the result, which wakes the caller.
//
//   - executor: from executor.Run, as MCP tools and triggers call it;
//   - rest: from POST /v1/integrations/{id}/actions/{key}/run;
//   - rest_parallel: 16 concurrent callers, one worker running up to 16;
//   - with_api_call: the action also makes one HTTP call through the
//     server to an API on loopback (credentials added there).
//
// Each reports p50 and p99 latency besides ns/op.
func BenchmarkInvocation(b *testing.B) {
	for _, engine := range []string{store.SQLite, store.Postgres} {
		b.Run(engine, func(b *testing.B) {
			inst := servertest.Start(b, servertest.Options{Engine: engine})
			api := newToolAPI(b)
			ctx := context.Background()
			in := customTool("Custom Tool", api.URL, sdkEcho())
			done := make(chan error, 1)
			wctx, cancel := context.WithCancel(ctx)
			go func() { done <- in.Serve(wctx, append(serverOpts(inst), sdk.Concurrency(16))...) }()
			b.Cleanup(func() { cancel(); <-done })
			var tool *client.Integration
			for {
				var err error
				if tool, err = inst.Client.GetIntegration(ctx, "custom_tool"); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if _, err := inst.Client.AddConnection(ctx, tool.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"api_key": upstreamKey}}); err != nil {
				b.Fatal(err)
			}
			var me struct {
				Org struct {
					ID string `json:"id"`
				} `json:"org"`
			}
			if err := inst.Client.Do(ctx, http.MethodGet, "/v1/me", nil, &me); err != nil {
				b.Fatal(err)
			}
			call := func(action string, params map[string]any) executor.Call {
				return executor.Call{OrgID: me.Org.ID, Integration: tool.ID, Action: action, Environment: "sandbox", Params: params, Source: "api"}
			}
			echo := map[string]any{"text": "hello"}

			b.Run("executor", func(b *testing.B) {
				measure(b, 1, func() error {
					_, err := inst.Server.Executor.Run(ctx, call("echo", echo))
					return err
				})
			})
			b.Run("rest", func(b *testing.B) {
				measure(b, 1, func() error {
					_, err := inst.Client.Run(ctx, tool.ID, "echo", client.RunInput{Params: echo})
					return err
				})
			})
			b.Run("rest_parallel", func(b *testing.B) {
				measure(b, 16, func() error {
					_, err := inst.Client.Run(ctx, tool.ID, "echo", client.RunInput{Params: echo})
					return err
				})
			})
			b.Run("with_api_call", func(b *testing.B) {
				measure(b, 1, func() error {
					_, err := inst.Server.Executor.Run(ctx, call("fetch_data", map[string]any{"user_id": "u1"}))
					return err
				})
			})
		})
	}
}

// measure runs fn b.N times from callers goroutines and reports latency
// percentiles.
func measure(b *testing.B, callers int, fn func() error) {
	lat := make([]time.Duration, 0, b.N)
	var mu sync.Mutex
	next := make(chan struct{})
	var wg sync.WaitGroup
	b.ResetTimer()
	for range callers {
		wg.Go(func() {
			for range next {
				start := time.Now()
				if err := fn(); err != nil {
					b.Error(err)
				}
				d := time.Since(start)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		})
	}
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
