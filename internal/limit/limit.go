package limit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrTooManyConcurrent is returned by [Concurrency.Acquire] when no slot for
// the key frees up within the wait.
var ErrTooManyConcurrent = errors.New("limit: too many concurrent requests")

// Concurrency caps the number of operations in flight per key.
type Concurrency interface {
	// Acquire takes one of max slots for key, waiting up to wait for one to
	// free. The returned release gives the slot back; calling it more than
	// once is harmless. When no slot frees in time the error wraps
	// ErrTooManyConcurrent; when ctx ends first it wraps ctx's error.
	Acquire(ctx context.Context, key string, max int, wait time.Duration) (release func(), err error)
}

// Rate is a token bucket per key: it holds up to burst tokens, refills at
// perSecond, and each allowed event takes one token.
type Rate interface {
	// Allow takes a token for key if one is available. When none is,
	// retryAfter is how long until the next token arrives.
	Allow(ctx context.Context, key string, perSecond float64, burst int) (ok bool, retryAfter time.Duration, err error)
}

// Limiters are the limiters of one node, all local or all shared through
// Redis.
type Limiters struct {
	Concurrency Concurrency
	Rate        Rate
	Backoff     Backoff
	Budget      Budget
	// Close releases the Redis connection pool; a no-op for local limiters.
	Close func() error
}

// New returns local limiters when redisURL is empty, and limiters shared
// through Redis otherwise, after checking that Redis answers.
func New(redisURL string) (Limiters, error) {
	if redisURL == "" {
		return Limiters{NewLocalConcurrency(), NewLocalRate(), NewLocalBackoff(0), NewLocalBudget(), func() error { return nil }}, nil
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return Limiters{}, fmt.Errorf("limit: parse redis URL: %w", err)
	}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return Limiters{}, fmt.Errorf("limit: reach redis at %s: %w", opts.Addr, err)
	}
	const prefix = "plugboard:limit:"
	return Limiters{NewRedisConcurrency(client, prefix), NewRedisRate(client, prefix), NewRedisBackoff(client, prefix), NewRedisBudget(client, prefix), client.Close}, nil
}

func tooMany(key string, max int, wait time.Duration) error {
	return fmt.Errorf("%w: %d already in flight for %s (waited %s)", ErrTooManyConcurrent, max, key, wait)
}

func validateBucket(perSecond float64, burst int) error {
	if !(perSecond > 0) {
		return fmt.Errorf("limit: perSecond must be positive, got %v", perSecond)
	}
	if burst < 1 {
		return fmt.Errorf("limit: burst must be at least 1, got %d", burst)
	}
	return nil
}
