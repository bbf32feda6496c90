package limit

import (
	"context"
	"math"
	"sync"
	"time"
)

// maxLocalBuckets caps the memory of a [LocalRate] when many keys are busy
// at once. Past it, arbitrary buckets are forgotten, which errs on the side
// of letting requests through rather than growing without bound.
const maxLocalBuckets = 1 << 20

// LocalRate is an in-memory [Rate]. A bucket that has refilled completely is
// the same as no bucket, so full buckets are swept away as the map grows.
type LocalRate struct {
	mu        sync.Mutex
	buckets   map[string]*bucket
	nextSweep int
	now       func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
	fullAt time.Time
}

// NewLocalRate returns an empty in-memory rate limiter.
func NewLocalRate() *LocalRate {
	return &LocalRate{buckets: make(map[string]*bucket), nextSweep: 1024, now: time.Now}
}

// Allow implements [Rate].
func (l *LocalRate) Allow(_ context.Context, key string, perSecond float64, burst int) (bool, time.Duration, error) {
	if err := validateBucket(perSecond, burst); err != nil {
		return false, 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		l.makeRoom(now)
		b = &bucket{tokens: float64(burst), last: now}
		l.buckets[key] = b
	}
	elapsed := max(now.Sub(b.last).Seconds(), 0)
	b.tokens = math.Min(float64(burst), b.tokens+elapsed*perSecond)
	b.last = now

	ok := b.tokens >= 1
	var retryAfter time.Duration
	if ok {
		b.tokens--
	} else {
		retryAfter = secondsToDuration((1 - b.tokens) / perSecond)
	}
	b.fullAt = now.Add(secondsToDuration((float64(burst) - b.tokens) / perSecond))
	return ok, retryAfter, nil
}

// makeRoom sweeps full buckets once the map has doubled since the last
// sweep, which keeps the cost per call constant on average.
func (l *LocalRate) makeRoom(now time.Time) {
	if len(l.buckets) < l.nextSweep && len(l.buckets) < maxLocalBuckets {
		return
	}
	for k, b := range l.buckets {
		if !now.Before(b.fullAt) {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < maxLocalBuckets {
			break
		}
		delete(l.buckets, k)
	}
	l.nextSweep = max(1024, 2*len(l.buckets))
}

// secondsToDuration rounds up so a caller who waits retryAfter finds a token.
func secondsToDuration(s float64) time.Duration {
	return time.Duration(math.Ceil(s * float64(time.Second)))
}
