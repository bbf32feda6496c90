package limit

import (
	"context"
	"sync"
	"time"
)

// DefaultBackoffKeys is how many keys a [LocalBackoff] remembers at most
// unless told otherwise.
const DefaultBackoffKeys = 1 << 17

// LocalBackoff is an in-memory [Backoff] of bounded size. When it is full,
// keys whose failures are forgotten go first, then keys not locked out
// now, so a flood of new keys cannot free the keys it should hold back.
type LocalBackoff struct {
	mu        sync.Mutex
	keys      map[string]*failures
	maxKeys   int
	nextSweep int
	now       func() time.Time
}

type failures struct {
	n       int
	until   time.Time // end of the current lockout
	expires time.Time // when the failures are forgotten
}

// NewLocalBackoff returns an empty in-memory backoff remembering up to
// maxKeys keys (DefaultBackoffKeys when maxKeys is 0 or less).
func NewLocalBackoff(maxKeys int) *LocalBackoff {
	if maxKeys <= 0 {
		maxKeys = DefaultBackoffKeys
	}
	return &LocalBackoff{keys: map[string]*failures{}, maxKeys: maxKeys, nextSweep: min(1024, maxKeys), now: time.Now}
}

// Locked implements [Backoff].
func (l *LocalBackoff) Locked(_ context.Context, key string) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if f := l.live(key, now); f != nil && now.Before(f.until) {
		return f.until.Sub(now), nil
	}
	return 0, nil
}

// Fail implements [Backoff].
func (l *LocalBackoff) Fail(_ context.Context, key string, p BackoffPolicy) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f := l.live(key, now)
	if f == nil {
		l.makeRoom(now)
		f = &failures{}
		l.keys[key] = f
	}
	f.n++
	lock := p.lockout(f.n)
	if lock > 0 {
		f.until = now.Add(lock)
	}
	f.expires = now.Add(max(lock, p.Forget))
	return lock, nil
}

// Reset implements [Backoff].
func (l *LocalBackoff) Reset(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
	return nil
}

// live returns key's failures unless they are forgotten.
func (l *LocalBackoff) live(key string, now time.Time) *failures {
	f := l.keys[key]
	if f != nil && !now.Before(f.expires) {
		delete(l.keys, key)
		return nil
	}
	return f
}

// makeRoom sweeps forgotten keys once the map has doubled since the last
// sweep (a constant cost per call on average), and when it is full drops
// the keys not locked out, then any.
func (l *LocalBackoff) makeRoom(now time.Time) {
	if len(l.keys) < l.nextSweep && len(l.keys) < l.maxKeys {
		return
	}
	for k, f := range l.keys {
		if !now.Before(f.expires) {
			delete(l.keys, k)
		}
	}
	if len(l.keys) >= l.maxKeys {
		for k, f := range l.keys {
			if !now.Before(f.until) {
				delete(l.keys, k)
			}
		}
	}
	for k := range l.keys {
		if len(l.keys) < l.maxKeys {
			break
		}
		delete(l.keys, k)
	}
	l.nextSweep = min(max(1024, 2*len(l.keys)), l.maxKeys)
}
