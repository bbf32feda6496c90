package limit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// failScript is [LocalBackoff.Fail] inside Redis: a hash of the failure
// count and the lockout's end, in milliseconds of the Redis server's clock.
// The key expires when its failures are forgotten.
var failScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free, first, cap, forget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local lock = 0
if n > free then
	lock = math.min(cap, first * 2 ^ math.min(n - free - 1, 62))
	redis.call('HSET', KEYS[1], 'until', string.format('%.0f', now + lock))
end
redis.call('PEXPIRE', KEYS[1], math.max(lock, forget))
return lock
`)

// lockedScript returns the milliseconds left of a key's lockout.
var lockedScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local u = tonumber(redis.call('HGET', KEYS[1], 'until'))
if u == nil or u <= now then
	return 0
end
return u - now
`)

// RedisBackoff is a [Backoff] shared by every node using the same Redis and
// prefix, so a lockout holds whichever node the next attempt reaches.
type RedisBackoff struct {
	client redis.UniversalClient
	prefix string
}

// NewRedisBackoff returns a backoff storing failures under keys that start
// with prefix.
func NewRedisBackoff(client redis.UniversalClient, prefix string) *RedisBackoff {
	return &RedisBackoff{client: client, prefix: prefix + "backoff:"}
}

// Locked implements [Backoff].
func (r *RedisBackoff) Locked(ctx context.Context, key string) (time.Duration, error) {
	ms, err := lockedScript.Run(ctx, r.client, []string{r.prefix + key}).Int64()
	if err != nil {
		return 0, fmt.Errorf("limit: backoff for %s: %w", key, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Fail implements [Backoff].
func (r *RedisBackoff) Fail(ctx context.Context, key string, p BackoffPolicy) (time.Duration, error) {
	ms, err := failScript.Run(ctx, r.client, []string{r.prefix + key},
		p.Free, p.First.Milliseconds(), p.Max.Milliseconds(), max(p.Forget.Milliseconds(), 1)).Int64()
	if err != nil {
		return 0, fmt.Errorf("limit: backoff for %s: %w", key, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Reset implements [Backoff].
func (r *RedisBackoff) Reset(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.prefix+key).Err(); err != nil {
		return fmt.Errorf("limit: backoff for %s: %w", key, err)
	}
	return nil
}
