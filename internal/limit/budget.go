package limit

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Window is what an API announced about the calls one connection may
// still make: Remaining of Limit until Reset, when the budget refills.
type Window struct {
	Limit     int       `json:"limit,omitempty"` // 0 when the API did not say
	Remaining int       `json:"remaining"`
	Reset     time.Time `json:"reset"`
	// Probe is set when no window is known yet and the call waits, until
	// Reset at most, for the first call's answer to tell one.
	Probe bool `json:"-"`
	// guess marks a window started by this side when the last one reset,
	// before any answer said when the API's own window ends.
	guess bool
}

// Budget keeps, per key (a connection), the window the API last announced,
// so that a call can wait for the window to reset instead of going out to
// a certain 429. Calls reserve their place: concurrent callers see the
// remaining count fall before any answer comes back.
type Budget interface {
	// Take reserves one call for key at now. When the window is spent,
	// ok is false and the window says until when. The ticket goes back
	// with the answer's announcement to Observe.
	Take(ctx context.Context, key string, now time.Time) (w Window, ok bool, t Ticket, err error)
	// Observe records what the answer to the call of ticket t announced.
	// The API counted that call but not the ones taken after it, which may
	// still be on their way, so those are taken off what it says remains.
	// A window that resets later than the one held is a new window and
	// replaces it; within the same window the lower count wins. An answer
	// that announced nothing (announced false; w is ignored) marks the key
	// silent for a while, so an API without limits is never held back.
	// It returns the window now held, if any.
	Observe(ctx context.Context, key string, w Window, announced bool, t Ticket) (Window, bool, error)
	// Peek returns the window held for key, if it has not reset by now.
	Peek(ctx context.Context, key string, now time.Time) (Window, bool, error)
}

// While no window is known for a key, one call goes out first (a probe)
// and the others wait, up to probeFor, for its answer to say what the API
// allows: a burst at the start cannot outrun a limit nobody has read yet.
// A key whose API answered without announcing anything is silent for
// silentFor, and its calls go out at once; so is one whose probe took
// longer than probeFor to answer (a slow API must not be called one at a
// time until it does).
const (
	probeFor  = 2 * time.Second
	probePoll = 50 * time.Millisecond
	silentFor = 10 * time.Minute
)

// Ticket orders the calls taken for one key.
type Ticket int64

// sameWindow is how far two announced resets may differ and still name one
// window: APIs that announce "seconds until reset" round differently from
// answer to answer.
const sameWindow = 1500 * time.Millisecond

// provisional is how long a window assumed after a reset (the API's known
// limit, nothing spent) lasts before the API's own answers replace it.
const provisional = time.Second

// keepLimit is how long after its reset a window's limit is remembered, to
// start the next window with (see provisional).
const keepLimit = time.Minute

// maxWindow bounds what an announcement may claim, so a garbled header
// cannot hold a connection's calls for days.
const maxWindow = 24 * time.Hour

// Announced reads the rate limit an answer announces, in any of the forms
// APIs use: the IETF RateLimit and RateLimit-Policy fields (both the
// structured form, `RateLimit: "default";r=10;t=30`, and the earlier
// RateLimit-Limit/-Remaining/-Reset), X-RateLimit-Limit/-Remaining/-Reset
// and their X-Rate-Limit-* and X-RateLimit-Reset-After variants, with a
// reset given as seconds to wait, a Unix time in seconds or milliseconds,
// and Retry-After on a 429 or 503 (seconds or an HTTP date). ok is false
// when the answer says nothing usable.
func Announced(h http.Header, status int, now time.Time) (w Window, ok bool) {
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if wait, ok := retryAfter(h.Get("Retry-After"), now); ok {
			return Window{Remaining: 0, Reset: now.Add(min(wait, maxWindow))}, true
		}
	}
	if w, ok := structured(h, now); ok {
		return w, true
	}
	remaining, okR := firstInt(h, "Ratelimit-Remaining", "X-Ratelimit-Remaining", "X-Rate-Limit-Remaining", "X-Ratelimit-Remaining-Requests")
	if !okR {
		return Window{}, false
	}
	limit, _ := firstInt(h, "Ratelimit-Limit", "X-Ratelimit-Limit", "X-Rate-Limit-Limit", "X-Ratelimit-Limit-Requests")
	if limit < 0 {
		limit = 0
	}
	reset, ok := resetAt(h, now)
	if !ok {
		// A count without a time is only good until the next answer; keep
		// it for a moment so a burst still sees it fall.
		reset = now.Add(time.Second)
	}
	return Window{Limit: limit, Remaining: max(remaining, 0), Reset: reset}, true
}

// structured reads `RateLimit: "name";r=R;t=T` with the quota q from
// `RateLimit-Policy: "name";q=Q;w=W` (draft-ietf-httpapi-ratelimit-headers).
// With several policies, the one with the fewest remaining calls counts.
func structured(h http.Header, now time.Time) (Window, bool) {
	var best Window
	found := false
	var quota map[string]int // most answers have no policy: no map
	for _, item := range listItems(h.Values("Ratelimit-Policy")) {
		name, params := item.name, item.params
		if q, err := strconv.Atoi(params["q"]); err == nil {
			if quota == nil {
				quota = map[string]int{}
			}
			quota[name] = q
		}
	}
	for _, item := range listItems(h.Values("Ratelimit")) {
		r, errR := strconv.Atoi(item.params["r"])
		if errR != nil {
			continue
		}
		w := Window{Limit: quota[item.name], Remaining: max(r, 0), Reset: now.Add(time.Second)}
		if t, err := strconv.ParseFloat(item.params["t"], 64); err == nil && t >= 0 {
			w.Reset = now.Add(seconds(t))
		}
		if !found || w.Remaining < best.Remaining {
			best, found = w, true
		}
	}
	return best, found
}

type listItem struct {
	name   string
	params map[string]string
}

// listItems parses the small subset of RFC 8941 lists these fields use:
// comma-separated items, each a token or quoted string with ;key=value
// parameters.
func listItems(values []string) []listItem {
	var out []listItem
	for _, v := range values {
		for _, raw := range strings.Split(v, ",") {
			parts := strings.Split(strings.TrimSpace(raw), ";")
			if parts[0] == "" && len(parts) == 1 {
				continue
			}
			it := listItem{name: strings.Trim(strings.TrimSpace(parts[0]), `"`), params: map[string]string{}}
			for _, p := range parts[1:] {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				it.params[strings.ToLower(k)] = strings.Trim(v, `"`)
			}
			out = append(out, it)
		}
	}
	return out
}

// resetAt reads when the window resets: a Unix time (seconds or
// milliseconds) or a number of seconds to wait, told apart by size.
func resetAt(h http.Header, now time.Time) (time.Time, bool) {
	if v := firstValue(h, "X-Ratelimit-Reset-After", "X-Rate-Limit-Reset-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return now.Add(seconds(s)), true
		}
	}
	v := firstValue(h, "Ratelimit-Reset", "X-Ratelimit-Reset", "X-Rate-Limit-Reset", "X-Ratelimit-Reset-Requests")
	if v == "" {
		return time.Time{}, false
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 { // OpenAI: "1s", "6m0s"
		return now.Add(min(d, maxWindow)), true
	}
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || s < 0 || math.IsInf(s, 0) || math.IsNaN(s) {
		return time.Time{}, false
	}
	// A time given in whole units was cut to that unit: the window resets
	// somewhere within the unit it names, so it counts as over only at the
	// unit's end (a call sent at the cut-off time reached the API in its old
	// window, and was refused).
	whole := s == math.Trunc(s)
	switch {
	case s > 1e12: // Unix milliseconds
		t := time.UnixMicro(int64(s * 1000))
		if whole {
			t = t.Add(time.Millisecond)
		}
		return clampReset(t, now), true
	case s > 1e9: // Unix seconds
		t := time.UnixMicro(int64(s * 1e6))
		if whole {
			t = t.Add(time.Second)
		}
		return clampReset(t, now), true
	default: // seconds to wait
		return now.Add(seconds(s)), true
	}
}

func clampReset(t, now time.Time) time.Time {
	if t.Before(now) {
		return now
	}
	if t.After(now.Add(maxWindow)) {
		return now.Add(maxWindow)
	}
	return t
}

func seconds(s float64) time.Duration {
	return min(time.Duration(s*float64(time.Second)), maxWindow)
}

func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(s)*time.Second, 0), s >= 0
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// firstValue is the first named field that is not empty. The names are
// written canonical (Ratelimit, not RateLimit): Header.Get makes a
// canonical copy of any other, on every response.
func firstValue(h http.Header, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			return v
		}
	}
	return ""
}

// firstInt reads the first named field holding a number; a list (some APIs
// send one count per policy) counts by its smallest.
func firstInt(h http.Header, names ...string) (int, bool) {
	for _, n := range names {
		v := firstValue(h, n)
		if v == "" {
			continue
		}
		least, found := 0, false
		for _, part := range strings.Split(v, ",") {
			num, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			if i, err := strconv.Atoi(strings.TrimSpace(num)); err == nil && (!found || i < least) {
				least, found = i, true
			}
		}
		if found {
			return least, true
		}
	}
	return 0, false
}

// merge is Observe's rule, shared by both stores: seen is already reduced
// by the calls taken after the one it answers.
// uncounted is how many calls an answer's remaining count may not include
// yet: those taken after the answered call, and those still out (taken
// before it, but perhaps slowed on the way and not yet at the API).
func uncounted(takenSince, stillOut int) int { return max(takenSince, stillOut) }

func merge(held Window, haveHeld bool, seen Window) Window {
	if !haveHeld || seen.Reset.After(held.Reset.Add(sameWindow)) {
		return seen
	}
	out := held
	out.guess = false // an answer tells the API's own window
	if seen.Remaining < out.Remaining {
		out.Remaining = seen.Remaining
	}
	if seen.Limit > 0 {
		out.Limit = seen.Limit
	}
	if seen.Reset.After(out.Reset) {
		out.Reset = seen.Reset
	}
	return out
}
