package limit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The window lives in a hash (limit, remaining, reset in Unix
// milliseconds, and the count of calls taken) that expires keepLimit after
// its reset, so a missing key means "no window known".

var takeScript = redis.NewScript(`
local w = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'reset', 'probe', 'silent', 'guess', 'out')
local now = tonumber(ARGV[1])
local reset = tonumber(w[3])
local limit = tonumber(w[1]) or 0
if reset ~= nil and reset > now and tonumber(w[2]) <= 0 then
	return {0, limit, 0, reset, 0}
end
if reset ~= nil and w[6] == '1' and tonumber(w[2]) <= 0 and (tonumber(w[7]) or 0) > 0 then
	return {0, -1, 0, now + tonumber(ARGV[5]), 0}
end
if reset == nil or (reset <= now and limit <= 0) then
	redis.call('HDEL', KEYS[1], 'limit', 'remaining', 'reset')
	local silent = tonumber(w[5])
	if silent == nil or silent <= now then
		local probe = tonumber(w[4])
		if probe ~= nil and probe > now then
			return {0, -1, 0, math.min(probe, now + tonumber(ARGV[5])), 0}
		elseif probe ~= nil then
			redis.call('HDEL', KEYS[1], 'probe')
			redis.call('HSET', KEYS[1], 'silent', now + tonumber(ARGV[6]))
		else
			redis.call('HSET', KEYS[1], 'probe', now + tonumber(ARGV[4]))
		end
	end
	local t = redis.call('HINCRBY', KEYS[1], 'taken', 1)
	redis.call('HINCRBY', KEYS[1], 'out', 1)
	redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]))
	return {1, 0, 0, 0, t}
end
local t = redis.call('HINCRBY', KEYS[1], 'taken', 1)
redis.call('HINCRBY', KEYS[1], 'out', 1)
if reset <= now then
	reset = now + tonumber(ARGV[2])
	redis.call('HSET', KEYS[1], 'remaining', limit, 'reset', reset, 'guess', 1)
	redis.call('PEXPIREAT', KEYS[1], reset + tonumber(ARGV[3]))
end
local remaining = redis.call('HINCRBY', KEYS[1], 'remaining', -1)
return {1, limit, remaining, reset, t}
`)

var observeScript = redis.NewScript(`
redis.call('HDEL', KEYS[1], 'probe')
local out = 0
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(ARGV[5]) >= 0 then
	out = redis.call('HINCRBY', KEYS[1], 'out', -1)
	if out < 0 then
		redis.call('HSET', KEYS[1], 'out', 0)
		out = 0
	end
end
if tonumber(ARGV[7]) == 0 then
	local now = redis.call('TIME')
	local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
	redis.call('HSET', KEYS[1], 'silent', ms + tonumber(ARGV[8]))
	if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[8]) then
		redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[8]))
	end
	local h = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'reset')
	if h[3] == false then return {0, 0, 0} end
	return {tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3])}
end
local w = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'reset', 'taken')
local limit, remaining, reset = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local same, ticket = tonumber(ARGV[4]), tonumber(ARGV[5])
local since = (tonumber(w[4]) or 0) - ticket
if ticket < 0 then since = 0 end -- taken while this node knew the key silent: unknown
if since < out then since = out end
if since > 0 then remaining = remaining - since end
if remaining < 0 then remaining = 0 end
local hreset = tonumber(w[3])
if hreset ~= nil and reset <= hreset + same then
	local hremaining = tonumber(w[2])
	if hremaining < remaining then remaining = hremaining end
	if limit == 0 then limit = tonumber(w[1]) or 0 end
	if hreset > reset then reset = hreset end
end
redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', remaining, 'reset', reset, 'guess', 0)
redis.call('PEXPIREAT', KEYS[1], reset + tonumber(ARGV[6]))
return {limit, remaining, reset}
`)

// RedisBudget is a [Budget] shared by every node using the same Redis and
// prefix: two nodes calling one API with one connection spend one budget.
type RedisBudget struct {
	client redis.UniversalClient
	prefix string
	// quiet holds, per key, until when this node takes the API for one
	// that announces no limit (it answered without one): its calls skip
	// Redis until then, two round trips each. A limit the API starts to
	// announce is recorded at the next answer all the same.
	quiet sync.Map // key → time.Time
}

// quietFor is how long a node trusts that an API announces nothing before
// it asks Redis again.
const quietFor = 5 * time.Second

// silentTicket marks a call taken without Redis while its key was quiet.
const silentTicket Ticket = -1

func (b *RedisBudget) isQuiet(key string, now time.Time) bool {
	until, ok := b.quiet.Load(key)
	return ok && now.Before(until.(time.Time))
}

// NewRedisBudget returns a budget storing its windows under keys that
// start with prefix.
func NewRedisBudget(client redis.UniversalClient, prefix string) *RedisBudget {
	return &RedisBudget{client: client, prefix: prefix + "budget:"}
}

// Take implements [Budget].
func (b *RedisBudget) Take(ctx context.Context, key string, now time.Time) (Window, bool, Ticket, error) {
	if b.isQuiet(key, now) {
		return Window{}, true, silentTicket, nil
	}
	res, err := takeScript.Run(ctx, b.client, []string{b.prefix + key}, now.UnixMilli(), provisional.Milliseconds(), keepLimit.Milliseconds(),
		probeFor.Milliseconds(), probePoll.Milliseconds(), silentFor.Milliseconds()).Int64Slice()
	if err != nil {
		return Window{}, true, 0, fmt.Errorf("limit: budget for %s: %w", key, err)
	}
	if len(res) != 5 {
		return Window{}, true, 0, errors.New("limit: budget script answered oddly")
	}
	ok, t := res[0] == 1, Ticket(res[4])
	if res[3] == 0 {
		return Window{}, ok, t, nil
	}
	if res[1] == -1 {
		return Window{Reset: time.UnixMilli(res[3]), Probe: true}, false, 0, nil
	}
	return Window{Limit: int(res[1]), Remaining: int(res[2]), Reset: time.UnixMilli(res[3])}, ok, t, nil
}

// Observe implements [Budget].
func (b *RedisBudget) Observe(ctx context.Context, key string, w Window, announced bool, t Ticket) (Window, bool, error) {
	if !announced {
		if t == silentTicket {
			return Window{}, false, nil
		}
		defer b.quiet.Store(key, time.Now().Add(quietFor))
	} else {
		b.quiet.Delete(key)
	}
	said := 0
	if announced {
		said = 1
	}
	res, err := observeScript.Run(ctx, b.client, []string{b.prefix + key},
		w.Limit, w.Remaining, w.Reset.UnixMilli(), sameWindow.Milliseconds(), int64(t), keepLimit.Milliseconds(),
		said, silentFor.Milliseconds()).Int64Slice()
	if err != nil {
		return Window{}, false, fmt.Errorf("limit: record the budget of %s: %w", key, err)
	}
	if len(res) != 3 || res[2] == 0 {
		return Window{}, false, nil
	}
	return Window{Limit: int(res[0]), Remaining: int(res[1]), Reset: time.UnixMilli(res[2])}, true, nil
}

// Peek implements [Budget].
func (b *RedisBudget) Peek(ctx context.Context, key string, now time.Time) (Window, bool, error) {
	vals, err := b.client.HMGet(ctx, b.prefix+key, "limit", "remaining", "reset").Result()
	if err != nil {
		return Window{}, false, fmt.Errorf("limit: read the budget of %s: %w", key, err)
	}
	num := func(v any) int64 {
		s, _ := v.(string)
		var n int64
		_, _ = fmt.Sscan(s, &n)
		return n
	}
	reset := num(vals[2])
	if vals[2] == nil || reset <= now.UnixMilli() {
		return Window{}, false, nil
	}
	return Window{Limit: int(num(vals[0])), Remaining: int(num(vals[1])), Reset: time.UnixMilli(reset)}, true, nil
}
