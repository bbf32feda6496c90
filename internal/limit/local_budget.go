package limit

import (
	"context"
	"sync"
	"time"
)

// LocalBudget is a [Budget] held in this process's memory.
type LocalBudget struct {
	mu      sync.Mutex
	windows map[string]Window
	taken   map[string]Ticket    // calls taken per key, windows known or not
	out     map[string]int       // calls taken and not yet answered
	probe   map[string]time.Time // a probe is out until then
	silent  map[string]time.Time // the API announced nothing; calls go out until then
	sweep   time.Time
}

// NewLocalBudget returns an empty budget.
func NewLocalBudget() *LocalBudget {
	return &LocalBudget{windows: map[string]Window{}, taken: map[string]Ticket{}, out: map[string]int{},
		probe: map[string]time.Time{}, silent: map[string]time.Time{}}
}

// Take implements [Budget].
func (b *LocalBudget) Take(_ context.Context, key string, now time.Time) (Window, bool, Ticket, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forgetPast(now)
	w, held := b.windows[key]
	if held && now.Before(w.Reset) && w.Remaining <= 0 {
		return w, false, 0, nil
	}
	if held && w.guess && w.Remaining <= 0 && b.out[key] > 0 {
		// A window this side guessed is spent and, by this clock, over; but
		// the API's own one began when the first of its calls arrived, and
		// none has answered yet to say when it ends. Wait for one.
		return Window{Reset: now.Add(probePoll), Probe: true}, false, 0, nil
	}
	if !held || (!now.Before(w.Reset) && w.Limit <= 0) {
		delete(b.windows, key)
		if now.Before(b.silent[key]) {
			b.taken[key]++
			b.out[key]++
			return Window{}, true, b.taken[key], nil
		}
		until, out := b.probe[key]
		switch {
		case out && now.Before(until):
			if poll := now.Add(probePoll); poll.Before(until) {
				until = poll
			}
			return Window{Reset: until, Probe: true}, false, 0, nil
		case out:
			delete(b.probe, key)
			b.silent[key] = now.Add(silentFor)
		default:
			b.probe[key] = now.Add(probeFor)
		}
		b.taken[key]++
		b.out[key]++
		return Window{}, true, b.taken[key], nil
	}
	b.taken[key]++
	b.out[key]++
	t := b.taken[key]
	if !now.Before(w.Reset) {
		// The window reset and the API's limit is known: until the first
		// answer of the new window says more, send no more than that.
		w = Window{Limit: w.Limit, Remaining: w.Limit, Reset: now.Add(provisional), guess: true}
	}
	w.Remaining--
	b.windows[key] = w
	return w, true, t, nil
}

// Observe implements [Budget].
func (b *LocalBudget) Observe(_ context.Context, key string, seen Window, announced bool, t Ticket) (Window, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.probe, key)
	if b.out[key] > 0 {
		b.out[key]--
	}
	held, ok := b.windows[key]
	if !announced {
		b.silent[key] = time.Now().Add(silentFor)
		return held, ok, nil
	}
	seen.Remaining = max(0, seen.Remaining-uncounted(int(max(b.taken[key]-t, 0)), b.out[key]))
	held = merge(held, ok, seen)
	b.windows[key] = held
	return held, true, nil
}

// Peek implements [Budget].
func (b *LocalBudget) Peek(_ context.Context, key string, now time.Time) (Window, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w, ok := b.windows[key]
	if !ok || !now.Before(w.Reset) {
		return Window{}, false, nil
	}
	return w, true, nil
}

// forgetPast drops windows that reset more than keepLimit ago, at most
// once a minute, so keys
// of connections no longer used do not pile up; b.mu must be held.
func (b *LocalBudget) forgetPast(now time.Time) {
	if now.Sub(b.sweep) < time.Minute {
		return
	}
	b.sweep = now
	for k, w := range b.windows {
		if !now.Before(w.Reset.Add(keepLimit)) {
			delete(b.windows, k)
		}
	}
	for k, until := range b.silent {
		if !now.Before(until) {
			delete(b.silent, k)
		}
	}
	for k, until := range b.probe {
		if !now.Before(until) {
			delete(b.probe, k)
		}
	}
	for k := range b.taken {
		if _, held := b.windows[k]; !held && b.out[k] == 0 {
			delete(b.out, k)
			delete(b.taken, k) // tickets still out compare against a fresh count: pessimistic at worst
		}
	}
}
