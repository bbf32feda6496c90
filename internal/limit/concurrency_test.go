package limit

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestConcurrency(t *testing.T) {
	t.Parallel()

	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()

			t.Run("the 101st waits then is refused", func(t *testing.T) {
				t.Parallel()
				c := b.concurrency(testPrefix(t))
				for range 100 {
					mustAcquire(t, c, "integration", 100)
				}
				const wait = 50 * time.Millisecond
				start := time.Now()
				_, err := c.Acquire(context.Background(), "integration", 100, wait)
				if !isTooMany(err) {
					t.Fatalf("101st Acquire = %v, want ErrTooManyConcurrent", err)
				}
				if waited := time.Since(start); waited < wait {
					t.Errorf("gave up after %s, before the %s wait", waited, wait)
				}
				// Other keys are unaffected.
				mustAcquire(t, c, "other", 100)()
			})

			t.Run("release frees a slot", func(t *testing.T) {
				t.Parallel()
				c := b.concurrency(testPrefix(t))
				release := mustAcquire(t, c, "k", 1)
				if _, err := c.Acquire(context.Background(), "k", 1, 0); !isTooMany(err) {
					t.Fatalf("second Acquire = %v, want ErrTooManyConcurrent", err)
				}
				release()
				release() // twice must not free a second slot
				mustAcquire(t, c, "k", 2)
				mustAcquire(t, c, "k", 2)
				if _, err := c.Acquire(context.Background(), "k", 2, 0); !isTooMany(err) {
					t.Fatalf("third Acquire = %v, want ErrTooManyConcurrent", err)
				}
			})

			t.Run("a waiter gets a slot released during its wait", func(t *testing.T) {
				t.Parallel()
				c := b.concurrency(testPrefix(t))
				release := mustAcquire(t, c, "k", 1)
				got := make(chan error, 1)
				go func() {
					r, err := c.Acquire(context.Background(), "k", 1, 30*time.Second)
					if err == nil {
						r()
					}
					got <- err
				}()
				release()
				if err := <-got; err != nil {
					t.Fatalf("waiting Acquire = %v, want a slot", err)
				}
			})

			t.Run("a cancelled wait returns the context error", func(t *testing.T) {
				t.Parallel()
				c := b.concurrency(testPrefix(t))
				mustAcquire(t, c, "k", 1)
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				_, err := c.Acquire(ctx, "k", 1, time.Minute)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Acquire = %v, want context.Canceled", err)
				}
			})

			t.Run("max below one is an error", func(t *testing.T) {
				t.Parallel()
				c := b.concurrency(testPrefix(t))
				if _, err := c.Acquire(context.Background(), "k", 0, 0); err == nil || isTooMany(err) {
					t.Fatalf("Acquire(max 0) = %v, want a validation error", err)
				}
			})
		})
	}
}

func TestLocalConcurrencyForgetsIdleKeys(t *testing.T) {
	t.Parallel()

	c := NewLocalConcurrency()
	release := mustAcquire(t, c, "a", 1)
	if _, err := c.Acquire(context.Background(), "a", 1, time.Millisecond); !isTooMany(err) {
		t.Fatalf("Acquire = %v, want ErrTooManyConcurrent", err)
	}
	mustAcquire(t, c, "b", 1)()
	release()
	if n := c.inUse(); n != 0 {
		t.Fatalf("%d keys kept after every slot was released, want 0", n)
	}
}

func TestRedisConcurrencySharedAcrossInstances(t *testing.T) {
	t.Parallel()

	client := testRedis(t)
	if client == nil {
		t.Skip("redis unreachable")
	}
	prefix := testPrefix(t)
	nodeA := NewRedisConcurrency(client, prefix)
	nodeB := NewRedisConcurrency(client, prefix)

	releaseA := mustAcquire(t, nodeA, "k", 2)
	mustAcquire(t, nodeB, "k", 2)
	if _, err := nodeA.Acquire(context.Background(), "k", 2, 20*time.Millisecond); !isTooMany(err) {
		t.Fatalf("third Acquire across nodes = %v, want ErrTooManyConcurrent", err)
	}
	releaseA()
	mustAcquire(t, nodeB, "k", 2)
}

func TestRedisConcurrencyLeases(t *testing.T) {
	t.Parallel()

	client := testRedis(t)
	if client == nil {
		t.Skip("redis unreachable")
	}

	t.Run("a crashed node's slot expires", func(t *testing.T) {
		t.Parallel()
		prefix := testPrefix(t)
		// A node that took a lease and died before renewing or releasing it.
		err := acquireScript.Run(context.Background(), client, []string{prefix + "conc:k"}, 1, 200, "dead-node").Err()
		if err != nil {
			t.Fatal(err)
		}
		fresh := NewRedisConcurrency(client, prefix)
		if _, err := fresh.Acquire(context.Background(), "k", 1, 0); !isTooMany(err) {
			t.Fatalf("Acquire beside the live lease = %v, want ErrTooManyConcurrent", err)
		}

		survivor := NewRedisConcurrency(client, prefix)
		r, err := survivor.Acquire(context.Background(), "k", 1, 5*time.Second)
		if err != nil {
			t.Fatalf("Acquire after the lease expired = %v", err)
		}
		r()
	})

	t.Run("a held slot is renewed", func(t *testing.T) {
		t.Parallel()
		prefix := testPrefix(t)
		holder := NewRedisConcurrency(client, prefix)
		holder.leaseTTL = time.Second
		release := mustAcquire(t, holder, "k", 1)
		defer release()
		time.Sleep(2500 * time.Millisecond)
		other := NewRedisConcurrency(client, prefix)
		if _, err := other.Acquire(context.Background(), "k", 1, 0); !isTooMany(err) {
			t.Fatalf("Acquire while the slot is held past its TTL = %v, want ErrTooManyConcurrent", err)
		}
	})
}
