package idempotency_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/idempotency"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func TestRunner(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, _, err := s.CreateOrg(ctx, store.Org{Name: "Idem"}, store.User{Email: "idem-" + engine + "@example.com"}, "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		r := &idempotency.Runner{Store: s, Logger: slog.New(slog.DiscardHandler)}
		var calls atomic.Int64
		ok := func(context.Context) (*executor.Result, error) {
			n := calls.Add(1)
			return &executor.Result{Status: 201, Body: map[string]any{"n": n}, Request: &executor.SentRequest{URL: "https://x"}}, nil
		}
		req := idempotency.Request{OrgID: org.ID, Scope: "test:a", Key: "k1", Fingerprint: idempotency.Fingerprint("tool", map[string]any{"b": 1, "a": 2})}

		t.Run("a repeat replays the first result", func(t *testing.T) {
			first, replayed, err := r.Do(ctx, req, ok)
			if err != nil || replayed || first.Status != 201 {
				t.Fatalf("first: %+v %v %v", first, replayed, err)
			}
			// Map order does not change the fingerprint.
			again := req
			again.Fingerprint = idempotency.Fingerprint("tool", map[string]any{"a": 2, "b": 1})
			second, replayed, err := r.Do(ctx, again, ok)
			if err != nil || !replayed || second.Status != 201 || second.Body.(map[string]any)["n"] != float64(1) || second.Request != nil {
				t.Fatalf("second: %+v %v %v", second, replayed, err)
			}
			if calls.Load() != 1 {
				t.Fatalf("ran %d times", calls.Load())
			}
		})

		t.Run("the key of another scope or without a key runs again", func(t *testing.T) {
			other := req
			other.Scope = "test:b"
			if _, replayed, err := r.Do(ctx, other, ok); err != nil || replayed {
				t.Fatalf("other scope: %v %v", replayed, err)
			}
			noKey := req
			noKey.Key = ""
			if _, replayed, err := r.Do(ctx, noKey, ok); err != nil || replayed {
				t.Fatalf("no key: %v %v", replayed, err)
			}
		})

		t.Run("reuse for another request is refused", func(t *testing.T) {
			other := req
			other.Fingerprint = idempotency.Fingerprint("tool", map[string]any{"a": 3})
			_, _, err := r.Do(ctx, other, ok)
			if p, isP := problem.As(err); !isP || p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("err = %v", err)
			}
		})

		t.Run("a call that fails keeps nothing, so a retry runs", func(t *testing.T) {
			failing := req
			failing.Key = "k-fail"
			boom := errors.New("no connection")
			if _, _, err := r.Do(ctx, failing, func(context.Context) (*executor.Result, error) { return nil, boom }); !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
			if _, replayed, err := r.Do(ctx, failing, ok); err != nil || replayed {
				t.Fatalf("retry: %v %v", replayed, err)
			}
		})

		t.Run("a repeat during the first call is told to retry", func(t *testing.T) {
			slow := req
			slow.Key = "k-slow"
			inside, release := make(chan struct{}), make(chan struct{})
			done := make(chan error, 1)
			go func() {
				_, _, err := r.Do(ctx, slow, func(ctx context.Context) (*executor.Result, error) {
					close(inside)
					<-release
					return ok(ctx)
				})
				done <- err
			}()
			<-inside
			_, _, err := r.Do(ctx, slow, ok)
			p, isP := problem.As(err)
			if !isP || p.Status != http.StatusConflict || p.RetryAfter == 0 {
				t.Fatalf("repeat in flight: %v", err)
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if _, replayed, err := r.Do(ctx, slow, ok); err != nil || !replayed {
				t.Fatalf("after the first call: %v %v", replayed, err)
			}
		})

		t.Run("an overlong key is refused", func(t *testing.T) {
			long := req
			long.Key = string(make([]byte, idempotency.MaxKeyLength+1))
			if _, _, err := r.Do(ctx, long, ok); err == nil {
				t.Fatal("accepted an overlong key")
			}
		})
	})
}
