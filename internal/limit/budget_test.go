package limit

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestAnnouncedLimits(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_790_000_000, 0)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	for _, c := range []struct {
		name   string
		header http.Header
		status int
		want   Window
		ok     bool
	}{
		{"GitHub: Unix seconds", h("X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "4999", "X-RateLimit-Reset", "1790000060"), 200,
			Window{Limit: 5000, Remaining: 4999, Reset: now.Add(time.Minute + time.Second)}, true}, // a whole second: over at its end
		{"seconds to wait", h("X-RateLimit-Limit", "100", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "30"), 200,
			Window{Limit: 100, Remaining: 0, Reset: now.Add(30 * time.Second)}, true},
		{"Unix milliseconds", h("X-RateLimit-Remaining", "3", "X-RateLimit-Reset", "1790000005000"), 200,
			Window{Remaining: 3, Reset: now.Add(5*time.Second + time.Millisecond)}, true},
		{"Unix seconds with a fraction", h("X-RateLimit-Remaining", "3", "X-RateLimit-Reset", "1790000005.25"), 200,
			Window{Remaining: 3, Reset: now.Add(5250 * time.Millisecond)}, true},
		{"Discord reset-after", h("X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "1", "X-RateLimit-Reset-After", "2.5"), 200,
			Window{Limit: 5, Remaining: 1, Reset: now.Add(2500 * time.Millisecond)}, true},
		{"Twitter X-Rate-Limit", h("X-Rate-Limit-Limit", "15", "X-Rate-Limit-Remaining", "14", "X-Rate-Limit-Reset", "1790000900"), 200,
			Window{Limit: 15, Remaining: 14, Reset: now.Add(15*time.Minute + time.Second)}, true},
		{"OpenAI durations", h("X-Ratelimit-Limit-Requests", "60", "X-Ratelimit-Remaining-Requests", "59", "X-Ratelimit-Reset-Requests", "1s"), 200,
			Window{Limit: 60, Remaining: 59, Reset: now.Add(time.Second)}, true},
		{"IETF draft fields", h("RateLimit-Limit", "10", "RateLimit-Remaining", "7", "RateLimit-Reset", "12"), 200,
			Window{Limit: 10, Remaining: 7, Reset: now.Add(12 * time.Second)}, true},
		{"IETF structured, the tighter policy counts", h("RateLimit-Policy", `"burst";q=10;w=1, "day";q=1000;w=86400`, "RateLimit", `"burst";r=4;t=1, "day";r=900;t=3600`), 200,
			Window{Limit: 10, Remaining: 4, Reset: now.Add(time.Second)}, true},
		{"429 with Retry-After seconds", h("Retry-After", "7", "X-RateLimit-Remaining", "5"), 429,
			Window{Remaining: 0, Reset: now.Add(7 * time.Second)}, true},
		{"503 with an HTTP date", h("Retry-After", now.Add(90*time.Second).UTC().Format(http.TimeFormat)), 503,
			Window{Remaining: 0, Reset: now.Add(90 * time.Second)}, true},
		{"a reset a year away is held to a day", h("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1821536000"), 200,
			Window{Remaining: 0, Reset: now.Add(maxWindow)}, true},
		{"a count without a reset lasts a second", h("X-RateLimit-Remaining", "2"), 200,
			Window{Remaining: 2, Reset: now.Add(time.Second)}, true},
		{"a list of counts: the smallest", h("X-RateLimit-Remaining", "40, 3;w=1"), 200,
			Window{Remaining: 3, Reset: now.Add(time.Second)}, true},
		{"nothing announced", h("Content-Type", "application/json"), 200, Window{}, false},
		{"garbage", h("X-RateLimit-Remaining", "lots", "X-RateLimit-Reset", "soon"), 200, Window{}, false},
		{"Retry-After on a 200 is not a limit", h("Retry-After", "5"), 200, Window{}, false},
	} {
		got, ok := Announced(c.header, c.status, now)
		if ok != c.ok || got.Limit != c.want.Limit || got.Remaining != c.want.Remaining || !got.Reset.Equal(c.want.Reset) {
			t.Errorf("%s: got %+v %v, want %+v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestBudget(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			now := time.Now()
			bud := b.budget(testPrefix(t))
			var last Ticket
			take := func(key string, at time.Time) (Window, bool) {
				t.Helper()
				w, ok, tk, err := bud.Take(ctx, key, at)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					last = tk
				}
				return w, ok
			}
			observe := func(key string, w Window, tk Ticket) {
				t.Helper()
				if _, _, err := bud.Observe(ctx, key, w, true, tk); err != nil {
					t.Fatal(err)
				}
			}
			if _, ok := take("conn", now); !ok {
				t.Fatal("a key with no window known was refused")
			}
			reset := now.Add(10 * time.Second).Truncate(time.Millisecond)
			observe("conn", Window{Limit: 5, Remaining: 2, Reset: reset}, last)
			for i := range 2 {
				if w, ok := take("conn", now); !ok || w.Remaining != 1-i {
					t.Fatalf("take %d of 2: %+v %v", i+1, w, ok)
				}
			}
			w, ok := take("conn", now)
			if ok || w.Remaining != 0 || !w.Reset.Equal(reset) || w.Limit != 5 {
				t.Fatalf("a spent window allowed a call: %+v %v", w, ok)
			}
			if _, ok := take("other", now); !ok {
				t.Fatal("another key's window was spent")
			}
			// A later answer of the same window with more remaining (it was
			// counted before our reservations) does not give calls back.
			observe("conn", Window{Limit: 5, Remaining: 4, Reset: reset.Add(500 * time.Millisecond)}, last)
			if _, ok := take("conn", now); ok {
				t.Fatal("a stale answer refilled the window")
			}
			if p, held, _ := bud.Peek(ctx, "conn", now); !held || p.Remaining != 0 {
				t.Fatalf("peek = %+v %v", p, held)
			}
			// The window resets on time (the later of the two announced).
			if _, ok := take("conn", reset.Add(500*time.Millisecond)); !ok {
				t.Fatal("the window did not reset at its reset time")
			}
			// A new window (a later reset) replaces the old one at once.
			observe("conn", Window{Limit: 5, Remaining: 0, Reset: reset}, last)
			next := reset.Add(time.Minute)
			observe("conn", Window{Limit: 5, Remaining: 5, Reset: next}, last)
			if w, ok := take("conn", now); !ok || w.Remaining != 4 {
				t.Fatalf("after a new window: %+v %v", w, ok)
			}
		})
	}
}

// Until an API's limit is known, one call goes out first and the rest wait
// for its answer; an API that announces nothing is not held back after it.
func TestBudgetProbesFirst(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			bud := b.budget(testPrefix(t))
			now := time.Now()
			_, ok, tk, err := bud.Take(ctx, "quiet", now)
			if err != nil || !ok {
				t.Fatalf("the first call was refused: %v", err)
			}
			w, ok, _, _ := bud.Take(ctx, "quiet", now)
			if ok || w.Reset.After(now.Add(probePoll)) {
				t.Fatalf("a second call went out before the first answer, or waits too long: %v %+v", ok, w)
			}
			if !w.Probe {
				t.Fatalf("a call waiting for the first answer is not marked as such: %+v", w)
			}
			if _, _, err := bud.Observe(ctx, "quiet", Window{}, false, tk); err != nil {
				t.Fatal(err)
			}
			for i := range 10 {
				if _, ok, _, _ := bud.Take(ctx, "quiet", now); !ok {
					t.Fatalf("call %d to an API that announces nothing was held back", i+1)
				}
			}
		})
	}
}

// A call taken before the one answered, and not answered itself, may not
// have reached the API yet (it was slowed on the way): what the answer says
// remains is taken to include it, so the window cannot be overrun when it
// arrives late.
func TestBudgetCountsCallsStillOut(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			bud := b.budget(testPrefix(t))
			now := time.Now()
			_, _, first, _ := bud.Take(ctx, "conn", now)
			if _, _, err := bud.Observe(ctx, "conn", Window{Limit: 5, Remaining: 4, Reset: now.Add(time.Second)}, true, first); err != nil {
				t.Fatal(err)
			}
			_, _, _, _ = bud.Take(ctx, "conn", now) // slowed on the way: it reaches the API in its next window
			next := now.Add(1100 * time.Millisecond)
			_, ok, answered, _ := bud.Take(ctx, "conn", next)
			if !ok {
				t.Fatal("the first call of the next window was held back")
			}
			held, _, err := bud.Observe(ctx, "conn", Window{Limit: 5, Remaining: 4, Reset: next.Add(3 * time.Second)}, true, answered)
			if err != nil {
				t.Fatal(err)
			}
			if held.Remaining != 3 {
				t.Fatalf("remaining %d after an answer saying 4 with one call still out, want 3", held.Remaining)
			}
		})
	}
}

// A first call that takes longer than probeFor to answer (a slow API)
// stops holding the others back: they go out at once, and keep going.
func TestBudgetReleasesASlowProbe(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			bud := b.budget(testPrefix(t))
			now := time.Now()
			if _, ok, _, err := bud.Take(ctx, "slow", now); err != nil || !ok {
				t.Fatalf("the first call was refused: %v", err)
			}
			later := now.Add(probeFor + time.Millisecond)
			for i := range 20 {
				if _, ok, _, _ := bud.Take(ctx, "slow", later); !ok {
					t.Fatalf("call %d was held back although the first call's answer is %s late", i+2, later.Sub(now))
				}
			}
		})
	}
}

// Calls taken after the one an answer is for are taken off what it says
// remains: the API had not counted them yet. After a reset the API's limit
// holds until it says more.
func TestBudgetCountsCallsInFlight(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			bud := b.budget(testPrefix(t))
			now := time.Now()
			_, _, tk, _ := bud.Take(ctx, "conn", now)
			if _, _, err := bud.Observe(ctx, "conn", Window{Limit: 5, Remaining: 0, Reset: now.Add(time.Second)}, true, tk); err != nil {
				t.Fatal(err)
			}
			// The window reset: five calls may go out before the API says more.
			later := now.Add(2 * time.Second)
			var tickets []Ticket
			for range 4 {
				_, ok, tk, err := bud.Take(ctx, "conn", later)
				if err != nil || !ok {
					t.Fatalf("a call after the reset was refused: %v", err)
				}
				tickets = append(tickets, tk)
			}
			// The first of them is answered: 4 of 5 left in a new window,
			// as the API counted it alone; three more are on their way.
			if _, _, err := bud.Observe(ctx, "conn", Window{Limit: 5, Remaining: 4, Reset: later.Add(time.Minute)}, true, tickets[0]); err != nil {
				t.Fatal(err)
			}
			if _, ok, _, _ := bud.Take(ctx, "conn", later); !ok {
				t.Fatal("the fifth call was refused")
			}
			if w, ok, _, _ := bud.Take(ctx, "conn", later); ok {
				t.Fatalf("a sixth call was allowed in a window of five: %+v", w)
			}
			after, allowed := later.Add(70*time.Second), 0
			for range 10 {
				if _, ok, _, err := bud.Take(ctx, "conn", after); err == nil && ok {
					allowed++
				}
			}
			if allowed != 5 {
				t.Fatalf("%d calls went out after the reset, with a limit of 5", allowed)
			}
		})
	}
}

// Many callers at once never reserve more calls than the window holds.
func TestBudgetUnderContention(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			prefix := testPrefix(t)
			nodes := []Budget{b.budget(prefix), b.budget(prefix)}
			if b.name == "local" {
				nodes[1] = nodes[0] // local budgets are per process
			}
			now := time.Now()
			_, _, tk, _ := nodes[0].Take(ctx, "conn", now)
			if _, _, err := nodes[0].Observe(ctx, "conn", Window{Limit: 50, Remaining: 30, Reset: now.Add(time.Minute)}, true, tk); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			allowed := 0
			var wg sync.WaitGroup
			for i := range 100 {
				wg.Go(func() {
					if _, ok, _, err := nodes[i%2].Take(ctx, "conn", now); err == nil && ok {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if allowed != 30 {
				t.Fatalf("%d calls reserved from a window of 30", allowed)
			}
		})
	}
}

// An API that announces no limit costs a node no Redis round trips for a
// while after it said so; once it announces one, every node counts again.
func TestRedisBudgetSkipsRedisForAQuietAPI(t *testing.T) {
	t.Parallel()
	client := testRedis(t)
	if client == nil {
		t.Fatal("no Redis")
	}
	ctx := context.Background()
	prefix := testPrefix(t)
	bud := NewRedisBudget(client, prefix)
	key := prefix + "budget:quiet"
	now := time.Now()
	_, _, tk, _ := bud.Take(ctx, "quiet", now)
	if _, _, err := bud.Observe(ctx, "quiet", Window{}, false, tk); err != nil {
		t.Fatal(err)
	}
	client.Del(ctx, key)
	for range 5 {
		_, ok, tk, err := bud.Take(ctx, "quiet", time.Now())
		if err != nil || !ok {
			t.Fatalf("a call to a quiet API was held back: %v", err)
		}
		if _, _, err := bud.Observe(ctx, "quiet", Window{}, false, tk); err != nil {
			t.Fatal(err)
		}
	}
	if n := client.Exists(ctx, key).Val(); n != 0 {
		t.Fatal("calls to an API known to announce nothing went to Redis")
	}
	_, _, tk, _ = bud.Take(ctx, "quiet", time.Now())
	if _, _, err := bud.Observe(ctx, "quiet", Window{Limit: 3, Remaining: 1, Reset: time.Now().Add(time.Minute)}, true, tk); err != nil {
		t.Fatal(err)
	}
	if _, ok, _, _ := bud.Take(ctx, "quiet", time.Now()); !ok {
		t.Fatal("the last call the API allows was held back")
	}
	if _, ok, _, _ := bud.Take(ctx, "quiet", time.Now()); ok {
		t.Fatal("a call beyond the limit the API began to announce went out")
	}
}
