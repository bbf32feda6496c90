package limit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// allowScript is the token bucket of [LocalRate] run inside Redis: a hash of
// tokens left and the time they were counted, in microseconds of the Redis
// server's clock. The key expires once the bucket would be full again, since
// a full bucket and a missing one mean the same.
var allowScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
	tokens = burst
	ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000000)
local allowed = 0
local wait = 0
if tokens >= 1 then
	tokens = tokens - 1
	allowed = 1
else
	wait = math.ceil((1 - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {allowed, wait}
`)

// RedisRate is a [Rate] shared by every node using the same Redis and prefix.
type RedisRate struct {
	client redis.UniversalClient
	prefix string
}

// NewRedisRate returns a rate limiter storing its buckets under keys that
// start with prefix.
func NewRedisRate(client redis.UniversalClient, prefix string) *RedisRate {
	return &RedisRate{client: client, prefix: prefix + "rate:"}
}

// Allow implements [Rate].
func (r *RedisRate) Allow(ctx context.Context, key string, perSecond float64, burst int) (bool, time.Duration, error) {
	if err := validateBucket(perSecond, burst); err != nil {
		return false, 0, err
	}
	res, err := allowScript.Run(ctx, r.client, []string{r.prefix + key}, perSecond, burst).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("limit: rate for %s: %w", key, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("limit: rate for %s: unexpected script reply %v", key, res)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Microsecond, nil
}
