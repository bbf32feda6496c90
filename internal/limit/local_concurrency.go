package limit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// LocalConcurrency is an in-memory [Concurrency]. Keys with nothing in flight
// and nobody waiting take no memory.
type LocalConcurrency struct {
	mu   sync.Mutex
	keys map[string]*localSlots
}

type localSlots struct {
	held int
	// waiters are served in arrival order; a released slot is handed to the
	// first waiter by closing its channel, so held does not drop and rise.
	waiters []chan struct{}
}

// NewLocalConcurrency returns an empty in-memory concurrency limiter.
func NewLocalConcurrency() *LocalConcurrency {
	return &LocalConcurrency{keys: make(map[string]*localSlots)}
}

// Acquire implements [Concurrency].
func (l *LocalConcurrency) Acquire(ctx context.Context, key string, max int, wait time.Duration) (func(), error) {
	if max < 1 {
		return nil, fmt.Errorf("limit: max must be at least 1, got %d", max)
	}
	l.mu.Lock()
	s := l.keys[key]
	if s == nil {
		s = &localSlots{}
		l.keys[key] = s
	}
	if s.held < max {
		s.held++
		l.mu.Unlock()
		return l.releaser(key), nil
	}
	if wait <= 0 {
		l.mu.Unlock()
		return nil, tooMany(key, max, wait)
	}
	ready := make(chan struct{})
	s.waiters = append(s.waiters, ready)
	l.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	var err error
	select {
	case <-ready:
		return l.releaser(key), nil
	case <-timer.C:
		err = tooMany(key, max, wait)
	case <-ctx.Done():
		err = fmt.Errorf("limit: wait for a slot for %s: %w", key, ctx.Err())
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	for i, w := range s.waiters {
		if w == ready {
			s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
			return nil, err
		}
	}
	// A release handed us the slot while we were giving up; keep it rather
	// than leak it.
	return l.releaser(key), nil
}

func (l *LocalConcurrency) releaser(key string) func() {
	var once sync.Once
	return func() { once.Do(func() { l.release(key) }) }
}

func (l *LocalConcurrency) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.keys[key]
	if len(s.waiters) > 0 {
		next := s.waiters[0]
		s.waiters = s.waiters[1:]
		close(next)
		return
	}
	s.held--
	if s.held == 0 {
		delete(l.keys, key)
	}
}

// inUse reports how many keys hold state, for tests of the cleanup.
func (l *LocalConcurrency) inUse() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
