package limit

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Parallel()

	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()

			t.Run("free failures, then lockouts that double up to the cap", func(t *testing.T) {
				t.Parallel()
				bo := b.backoff(testPrefix(t))
				p := BackoffPolicy{Free: 3, First: time.Minute, Max: 5 * time.Minute, Forget: time.Hour}
				for i := range 3 {
					if lock := mustFail(t, bo, "ada", p); lock != 0 {
						t.Fatalf("failure %d of 3 free ones locked the key for %s", i+1, lock)
					}
					if wait := mustLocked(t, bo, "ada"); wait != 0 {
						t.Fatalf("locked for %s within the free failures", wait)
					}
				}
				for _, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute} {
					if lock := mustFail(t, bo, "ada", p); lock != want {
						t.Fatalf("lockout %s, want %s", lock, want)
					}
					if wait := mustLocked(t, bo, "ada"); wait <= want-time.Second || wait > want {
						t.Fatalf("locked for %s after a lockout of %s", wait, want)
					}
				}
				if wait := mustLocked(t, bo, "bob"); wait != 0 {
					t.Fatalf("another key is locked for %s", wait)
				}
				if err := bo.Reset(context.Background(), "ada"); err != nil {
					t.Fatal(err)
				}
				if wait := mustLocked(t, bo, "ada"); wait != 0 {
					t.Fatalf("locked for %s after a reset", wait)
				}
				if lock := mustFail(t, bo, "ada", p); lock != 0 {
					t.Fatalf("the first failure after a reset locked the key for %s", lock)
				}
			})

			t.Run("a lockout ends and failures are forgotten", func(t *testing.T) {
				t.Parallel()
				bo := b.backoff(testPrefix(t))
				p := BackoffPolicy{Free: 1, First: 20 * time.Millisecond, Max: time.Second, Forget: 200 * time.Millisecond}
				mustFail(t, bo, "k", p)
				if lock := mustFail(t, bo, "k", p); lock != 20*time.Millisecond {
					t.Fatalf("lockout %s, want 20ms", lock)
				}
				time.Sleep(30 * time.Millisecond)
				if wait := mustLocked(t, bo, "k"); wait != 0 {
					t.Fatalf("still locked for %s after the lockout", wait)
				}
				time.Sleep(250 * time.Millisecond)
				if lock := mustFail(t, bo, "k", p); lock != 0 {
					t.Fatalf("failures were not forgotten: locked for %s", lock)
				}
			})
		})
	}
}

func TestRedisBackoffSharedAcrossInstances(t *testing.T) {
	t.Parallel()

	client := testRedis(t)
	if client == nil {
		t.Skip("redis unreachable")
	}
	prefix := testPrefix(t)
	nodes := []Backoff{NewRedisBackoff(client, prefix), NewRedisBackoff(client, prefix)}
	p := BackoffPolicy{Free: 2, First: time.Minute, Max: time.Hour, Forget: time.Hour}
	mustFail(t, nodes[0], "ip:192.0.2.1", p)
	mustFail(t, nodes[1], "ip:192.0.2.1", p)
	if lock := mustFail(t, nodes[0], "ip:192.0.2.1", p); lock != time.Minute {
		t.Fatalf("third failure across two nodes: locked for %s, want 1m", lock)
	}
	if wait := mustLocked(t, nodes[1], "ip:192.0.2.1"); wait <= 0 {
		t.Fatal("the other node does not see the lockout")
	}
}

func TestLocalBackoffIsBounded(t *testing.T) {
	t.Parallel()

	now := time.Unix(1_700_000_000, 0)
	bo := NewLocalBackoff(2000)
	bo.now = func() time.Time { return now }
	p := BackoffPolicy{Free: 1, First: time.Hour, Max: time.Hour, Forget: time.Hour}
	// Ten locked keys, then a flood of keys with one failure each.
	for i := range 10 {
		mustFail(t, bo, fmt.Sprint("locked-", i), p)
		mustFail(t, bo, fmt.Sprint("locked-", i), p)
	}
	for i := range 10_000 {
		mustFail(t, bo, fmt.Sprint("flood-", i), p)
		if n := len(bo.keys); n > 2000 {
			t.Fatalf("%d keys held, want at most 2000", n)
		}
	}
	for i := range 10 {
		if wait := mustLocked(t, bo, fmt.Sprint("locked-", i)); wait != time.Hour {
			t.Fatalf("a locked key was dropped for keys that were not (locked for %s)", wait)
		}
	}
	// Once their failures are forgotten, keys are swept away as new ones
	// come, before any of those is dropped.
	now = now.Add(2 * time.Hour)
	for i := range 1500 {
		mustFail(t, bo, fmt.Sprint("late-", i), p)
	}
	if n := len(bo.keys); n != 1500 {
		t.Fatalf("%d keys held, want the 1500 late ones alone", n)
	}
}

func mustFail(t *testing.T, b Backoff, key string, p BackoffPolicy) time.Duration {
	t.Helper()
	lock, err := b.Fail(context.Background(), key, p)
	if err != nil {
		t.Fatalf("Fail(%s): %v", key, err)
	}
	return lock
}

func mustLocked(t *testing.T, b Backoff, key string) time.Duration {
	t.Helper()
	wait, err := b.Locked(context.Background(), key)
	if err != nil {
		t.Fatalf("Locked(%s): %v", key, err)
	}
	return wait
}
