package limit

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// defaultLeaseTTL is how long a slot outlives a node that stopped renewing
// it. It is well above the 30 s cap on one outbound call so a slow renewal
// never frees a slot that is still in use.
const defaultLeaseTTL = 60 * time.Second

// acquireScript drops expired leases, then adds one if the set has room.
// Scores are expiry times in milliseconds of the Redis server's clock.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
	return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`)

// renewScript pushes a held lease's expiry forward; it does nothing for a
// lease that already expired, whose slot may have been taken since.
var renewScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + ttl, ARGV[2]) == 0 then
	return 0
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`)

// RedisConcurrency is a [Concurrency] shared by every node using the same
// Redis and prefix. Each key is a sorted set of leases scored by expiry.
type RedisConcurrency struct {
	client   redis.UniversalClient
	prefix   string
	leaseTTL time.Duration
}

// NewRedisConcurrency returns a concurrency limiter storing its leases under
// keys that start with prefix.
func NewRedisConcurrency(client redis.UniversalClient, prefix string) *RedisConcurrency {
	return &RedisConcurrency{client: client, prefix: prefix + "conc:", leaseTTL: defaultLeaseTTL}
}

// Acquire implements [Concurrency]. Redis offers no cheap way to block on a
// sorted set, so waiting polls with a short, growing, jittered interval.
func (r *RedisConcurrency) Acquire(ctx context.Context, key string, max int, wait time.Duration) (func(), error) {
	if max < 1 {
		return nil, fmt.Errorf("limit: max must be at least 1, got %d", max)
	}
	redisKey := r.prefix + key
	lease := crand.Text()
	deadline := time.Now().Add(wait)
	poll := 5 * time.Millisecond
	for {
		got, err := acquireScript.Run(ctx, r.client, []string{redisKey}, max, r.leaseTTL.Milliseconds(), lease).Int()
		if err != nil {
			return nil, fmt.Errorf("limit: acquire slot for %s: %w", key, err)
		}
		if got == 1 {
			return r.hold(redisKey, lease), nil
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, tooMany(key, max, wait)
		}
		sleep := min(remaining, poll/2+rand.N(poll/2+1))
		select {
		case <-time.After(sleep):
		case <-ctx.Done():
			return nil, fmt.Errorf("limit: wait for a slot for %s: %w", key, ctx.Err())
		}
		poll = min(2*poll, 100*time.Millisecond)
	}
}

// hold renews the lease until release is called, then removes it.
func (r *RedisConcurrency) hold(redisKey, lease string) func() {
	done := make(chan struct{})
	go func() {
		ticker := time.NewTicker(r.leaseTTL / 3)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				ctx, cancel := context.WithTimeout(context.Background(), r.leaseTTL/3)
				// A failed renewal is not fatal: the next tick tries
				// again before the lease can expire.
				_ = renewScript.Run(ctx, r.client, []string{redisKey}, r.leaseTTL.Milliseconds(), lease).Err()
				cancel()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			// If Redis is unreachable the lease expires on its own.
			_ = r.client.ZRem(ctx, redisKey, lease).Err()
		})
	}
}
