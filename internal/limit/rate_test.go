package limit

import (
	"fmt"
	"testing"
	"time"
)

func TestRate(t *testing.T) {
	t.Parallel()

	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()

			t.Run("burst then refusal with retryAfter", func(t *testing.T) {
				t.Parallel()
				r := b.rate(testPrefix(t))
				for i := range 5 {
					if ok, _ := mustAllow(t, r, "hook", 1, 5); !ok {
						t.Fatalf("event %d of a burst of 5 refused", i+1)
					}
				}
				ok, retryAfter := mustAllow(t, r, "hook", 1, 5)
				if ok {
					t.Fatal("6th event allowed beyond the burst")
				}
				if retryAfter <= 0 || retryAfter > time.Second {
					t.Errorf("retryAfter = %s, want within (0, 1s] at 1/s", retryAfter)
				}
				if ok, _ := mustAllow(t, r, "other", 1, 5); !ok {
					t.Error("another key was refused")
				}
			})

			t.Run("tokens refill", func(t *testing.T) {
				t.Parallel()
				r := b.rate(testPrefix(t))
				mustAllow(t, r, "k", 50, 1)
				ok, retryAfter := mustAllow(t, r, "k", 50, 1)
				if ok {
					t.Fatal("second event allowed with burst 1")
				}
				time.Sleep(retryAfter)
				if ok, after := mustAllow(t, r, "k", 50, 1); !ok {
					t.Fatalf("refused after waiting retryAfter %s (now %s)", retryAfter, after)
				}
			})
		})
	}
}

func TestRedisRateSharedAcrossInstances(t *testing.T) {
	t.Parallel()

	client := testRedis(t)
	if client == nil {
		t.Skip("redis unreachable")
	}
	prefix := testPrefix(t)
	nodes := []Rate{NewRedisRate(client, prefix), NewRedisRate(client, prefix)}
	for i := range 4 {
		if ok, _ := mustAllow(t, nodes[i%2], "hook", 0.5, 4); !ok {
			t.Fatalf("event %d of a shared burst of 4 refused", i+1)
		}
	}
	for i, n := range nodes {
		if ok, retryAfter := mustAllow(t, n, "hook", 0.5, 4); ok || retryAfter <= time.Second || retryAfter > 2*time.Second {
			t.Errorf("node %d after the shared burst: ok=%v retryAfter=%s, want refused with (1s, 2s]", i, ok, retryAfter)
		}
	}
}

func TestLocalRateExactRetryAfter(t *testing.T) {
	t.Parallel()

	now := time.Unix(1_700_000_000, 0)
	r := NewLocalRate()
	r.now = func() time.Time { return now }

	mustAllow(t, r, "k", 4, 2)
	mustAllow(t, r, "k", 4, 2)
	if ok, retryAfter := mustAllow(t, r, "k", 4, 2); ok || retryAfter != 250*time.Millisecond {
		t.Fatalf("ok=%v retryAfter=%s, want refused for 250ms", ok, retryAfter)
	}
	now = now.Add(100 * time.Millisecond)
	if ok, retryAfter := mustAllow(t, r, "k", 4, 2); ok || retryAfter != 150*time.Millisecond {
		t.Fatalf("ok=%v retryAfter=%s, want refused for 150ms", ok, retryAfter)
	}
	now = now.Add(150 * time.Millisecond)
	if ok, _ := mustAllow(t, r, "k", 4, 2); !ok {
		t.Fatal("refused once the token was due")
	}
}

func TestLocalRateSweepsFullBuckets(t *testing.T) {
	t.Parallel()

	now := time.Unix(1_700_000_000, 0)
	r := NewLocalRate()
	r.now = func() time.Time { return now }
	for i := range 5000 {
		mustAllow(t, r, fmt.Sprint("idle-", i), 10, 10)
	}
	now = now.Add(time.Second) // every bucket has refilled
	// Growth past double the last sweep's size triggers the next sweep.
	for i := range 4000 {
		mustAllow(t, r, fmt.Sprint("fresh-", i), 10, 10)
	}
	if n := len(r.buckets); n != 4000 {
		t.Fatalf("%d buckets kept, want the 4000 fresh ones and no refilled ones", n)
	}
}
