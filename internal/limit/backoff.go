package limit

import (
	"context"
	"math"
	"time"
)

// Backoff locks a key out after repeated failures: a few are free, then
// each failure locks the key for a window twice as long as the last (a
// password guessed for an account, keys guessed from an address). Unlike
// [Rate], only failures count, so a client that keeps succeeding is never
// slowed down.
type Backoff interface {
	// Locked reports how long key stays locked out; zero means an attempt
	// may go ahead.
	Locked(ctx context.Context, key string) (time.Duration, error)
	// Fail records a failed attempt for key and returns how long key is now
	// locked out: zero while within the free failures.
	Fail(ctx context.Context, key string, p BackoffPolicy) (time.Duration, error)
	// Reset forgets key's failures, as after a success.
	Reset(ctx context.Context, key string) error
}

// BackoffPolicy says how failures of a key are punished.
type BackoffPolicy struct {
	// Free is how many failures pass before the first lockout.
	Free int
	// First is the first lockout; each failure after it doubles the last.
	First time.Duration
	// Max caps a lockout.
	Max time.Duration
	// Forget is how long after its last failure (or lockout's end, when
	// later) a key starts afresh.
	Forget time.Duration
}

// lockout is the window the nth failure earns.
func (p BackoffPolicy) lockout(n int) time.Duration {
	if n <= p.Free {
		return 0
	}
	exp := n - p.Free - 1
	if exp >= 62 || float64(p.First)*math.Exp2(float64(exp)) >= float64(p.Max) {
		return p.Max
	}
	return p.First << exp
}
