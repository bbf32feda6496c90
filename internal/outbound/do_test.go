package outbound

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDoRetries(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name         string
		method       string
		idempotency  string
		codes        []int
		wantStatus   int
		wantAttempts int
	}{
		{"GET retries 503 then succeeds", http.MethodGet, "", []int{503, 503, 200}, 200, 3},
		{"GET retries 429, 502 and 504", http.MethodGet, "", []int{429, 502, 504}, 504, 3},
		{"GET stops at MaxAttempts", http.MethodGet, "", []int{502}, 502, 3},
		{"PUT is idempotent", http.MethodPut, "", []int{503, 204}, 204, 2},
		{"DELETE is idempotent", http.MethodDelete, "", []int{503, 204}, 204, 2},
		{"POST without a key is not retried", http.MethodPost, "", []int{503, 200}, 503, 1},
		{"POST with a key is retried", http.MethodPost, "req-42", []int{503, 201}, 201, 2},
		{"PATCH with a key is retried", http.MethodPatch, "req-43", []int{502, 200}, 200, 2},
		{"400 is not retried", http.MethodGet, "", []int{400, 200}, 400, 1},
		{"404 is not retried", http.MethodGet, "", []int{404, 200}, 404, 1},
		{"500 is not retried", http.MethodGet, "", []int{500, 200}, 500, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var keys sync.Map
			answer := statuses(tt.codes...)
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				keys.Store(r.Header.Get("Idempotency-Key"), true)
				answer(w, r)
			})
			c := newTestClient(t, Config{})

			res, err := c.Do(context.Background(), &Request{
				Method: tt.method, URL: srv.URL, Body: []byte(`{}`), IdempotencyKey: tt.idempotency,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.wantStatus || res.Attempts != tt.wantAttempts {
				t.Errorf("status %d after %d attempts, want %d after %d", res.Status, res.Attempts, tt.wantStatus, tt.wantAttempts)
			}
			if int(srv.hits.Load()) != tt.wantAttempts {
				t.Errorf("server saw %d requests, want %d", srv.hits.Load(), tt.wantAttempts)
			}
			if _, ok := keys.Load(tt.idempotency); !ok {
				t.Errorf("Idempotency-Key header was not %q", tt.idempotency)
			}
		})
	}
}

func TestDoRetriesDroppedConnections(t *testing.T) {
	t.Parallel()

	dropFirst := func() http.HandlerFunc {
		var once sync.Once
		return func(w http.ResponseWriter, r *http.Request) {
			dropped := false
			once.Do(func() {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
					dropped = true
				}
			})
			if !dropped {
				w.Write([]byte("ok"))
			}
		}
	}

	t.Run("GET is retried", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, dropFirst())
		res, err := newTestClient(t, Config{}).Do(context.Background(), &Request{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		if res.Attempts != 2 || string(res.Body) != "ok" {
			t.Errorf("attempts %d body %q, want 2 and ok", res.Attempts, res.Body)
		}
	})

	t.Run("POST without a key is not", func(t *testing.T) {
		t.Parallel()
		srv := serve(t, dropFirst())
		_, err := newTestClient(t, Config{}).Do(context.Background(), &Request{Method: http.MethodPost, URL: srv.URL})
		if err == nil {
			t.Fatal("POST over a dropped connection succeeded")
		}
		if srv.hits.Load() != 1 {
			t.Errorf("server saw %d requests, want 1", srv.hits.Load())
		}
	})
}

func TestDoRetryAfter(t *testing.T) {
	t.Parallel()

	t.Run("is honoured", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		var arrivals []time.Time
		answer := statuses(429, 200)
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			arrivals = append(arrivals, time.Now())
			mu.Unlock()
			w.Header().Set("Retry-After", "1")
			answer(w, r)
		})
		res, err := newTestClient(t, Config{}).Do(context.Background(), &Request{URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != 200 || res.Attempts != 2 {
			t.Fatalf("status %d after %d attempts, want 200 after 2", res.Status, res.Attempts)
		}
		// The backoff alone is at most 2 ms here, so a gap of a second
		// can only come from the header.
		if gap := arrivals[1].Sub(arrivals[0]); gap < time.Second {
			t.Errorf("retried %s after a Retry-After of 1s", gap)
		}
	})

	tests := []struct {
		name string
		cfg  Config
	}{
		{"over MaxRetryAfter returns the response", Config{MaxRetryAfter: time.Second}},
		{"past the deadline returns the response", Config{Timeout: 2 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "5")
				w.WriteHeader(http.StatusTooManyRequests)
			})
			res, err := newTestClient(t, tt.cfg).Do(context.Background(), &Request{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != 429 || res.Attempts != 1 || srv.hits.Load() != 1 {
				t.Errorf("status %d, %d attempts, %d hits; want 429, 1, 1", res.Status, res.Attempts, srv.hits.Load())
			}
		})
	}
}

func TestDoPrepareRunsOnEveryAttempt(t *testing.T) {
	t.Parallel()

	var seen sync.Map
	answer := statuses(503, 503, 200)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization"), true)
		answer(w, r)
	})
	var calls int
	res, err := newTestClient(t, Config{}).Do(context.Background(), &Request{
		URL:    srv.URL,
		Header: http.Header{"Accept": {"application/json"}},
		Prepare: func(r *http.Request) error {
			calls++
			r.Header.Set("Authorization", "Bearer token-"+strings.Repeat("x", calls))
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 3 || res.Attempts != 3 {
		t.Fatalf("Prepare ran %d times over %d attempts, want 3 and 3", calls, res.Attempts)
	}
	for _, tok := range []string{"Bearer token-x", "Bearer token-xx", "Bearer token-xxx"} {
		if _, ok := seen.Load(tok); !ok {
			t.Errorf("server never saw %q", tok)
		}
	}

	failing := errors.New("vault sealed")
	_, err = newTestClient(t, Config{}).Do(context.Background(), &Request{
		URL:     srv.URL,
		Prepare: func(*http.Request) error { return failing },
	})
	if !errors.Is(err, failing) {
		t.Errorf("Do with a failing Prepare = %v, want its error", err)
	}
}
