// Package worker runs the server side of code-defined integrations: Go
// programs built with the sdk package register their integration, connect
// out to the server and run its actions as workers.
//
// The executor hands each action call of a kind "code" integration to
// [Service.Invoke], which queues a durable invocation and waits for its
// result. Workers long-poll for invocations, which are leased to one
// worker at a time; a worker renews its leases with heartbeats, and an
// invocation whose lease runs out without a result (its worker died) is
// claimed by another worker, up to MaxAttempts times. The action's own
// HTTP calls come back to the server and go out through the executor's
// proxy path (package action), which adds the connection's credentials:
// the worker never holds a secret.
//
// A worker acts with the API key it registered with. Registering needs the
// build permission and, for an integration that exists, the right to use
// it; every later request of the worker must come with the same key, and
// is refused once its member may no longer use the integration.
//
// On PostgreSQL several server nodes share the queue: claims skip rows
// another node is locking, and a node notices invocations queued or
// results posted on other nodes by re-reading them every second (on its
// own node it is woken at once).
package worker

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/calllog"
	"github.com/plugboard/plugboard/internal/metrics"
	"github.com/plugboard/plugboard/internal/store"
)

// Defaults.
const (
	// DefaultLease is how long an invocation stays with a worker that
	// stops heartbeating before another worker may take it.
	DefaultLease = 15 * time.Second
	// MaxAttempts bounds how many workers may try one invocation.
	MaxAttempts = 3
	// DefaultTimeout is an action's deadline when the integration sets none.
	DefaultTimeout = 30 * time.Second
	// recheck is how often waiters re-read the database, for work and
	// results that arrive through other nodes and for expired leases.
	recheck = time.Second
	// keepInvocations is how long finished invocations stay in the table.
	keepInvocations = time.Hour
)

// Config wires a Service.
type Config struct {
	Store    *store.Store
	Rules    *access.Rules
	Recorder *calllog.Recorder
	Metrics  *metrics.Metrics
	Logger   *slog.Logger
}

// Service is the worker side of the server. It is safe for concurrent use.
type Service struct {
	Config
	lease atomic.Int64 // time.Duration

	work    signals // integration id → woken when an invocation is queued
	results signals // invocation id → woken when its result arrives

	stopOnce sync.Once
	stopping chan struct{}
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{Config: cfg, stopping: make(chan struct{})}
	s.lease.Store(int64(DefaultLease))
	// Queued work and results reach the long polls and callers of every
	// node sharing the database at once, not at their next re-read.
	cfg.Store.Subscribe(workChannel, s.work.fire)
	cfg.Store.Subscribe(resultsChannel, s.results.fire)
	return s
}

// The notification channels of queued work (payload: the integration id)
// and of results (payload: the invocation id).
const (
	workChannel    = "plugboard_worker_work"
	resultsChannel = "plugboard_worker_results"
)

// wakeWork wakes the long polls of an integration's workers, on every node.
func (s *Service) wakeWork(ctx context.Context, integrationID string) {
	s.Store.Notify(ctx, workChannel, integrationID)
}

// SetLease changes the lease length (and with it the heartbeat interval
// and how long a silent worker still counts as connected). Tests shorten it.
func (s *Service) SetLease(d time.Duration) { s.lease.Store(int64(d)) }

// Lease is the current lease length.
func (s *Service) Lease() time.Duration { return time.Duration(s.lease.Load()) }

// heartbeat is how often workers renew their leases: three chances
// before a lease runs out.
func (s *Service) heartbeat() time.Duration { return s.Lease() / 3 }

// liveSince is the last-seen time after which a worker counts as connected.
func (s *Service) liveSince() time.Time { return time.Now().Add(-s.Lease()) }

// Stop ends the long polls in flight so that the HTTP server can shut
// down without waiting for them; workers poll again elsewhere.
func (s *Service) Stop() { s.stopOnce.Do(func() { close(s.stopping) }) }

// Run purges old invocations and workers until ctx ends.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := s.Store.PurgeInvocations(ctx, time.Now().Add(-keepInvocations)); err != nil && ctx.Err() == nil {
			s.Logger.WarnContext(ctx, "purge worker invocations", "error", err)
		}
		if _, err := s.Store.PurgeWorkers(ctx, time.Now().Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			s.Logger.WarnContext(ctx, "purge workers", "error", err)
		}
	}
}

// Connected counts the connected workers of an integration p may see.
func (s *Service) Connected(ctx context.Context, p access.Principal, in store.Integration) (int, error) {
	if ok, err := s.Rules.MayUse(ctx, p, in); err != nil || !ok {
		return 0, err
	}
	return s.Store.LiveWorkers(ctx, p.Org.ID, in.ID, "", s.liveSince())
}

// Workers lists the connected workers of an integration p may see.
func (s *Service) Workers(ctx context.Context, p access.Principal, ref string) ([]store.Worker, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	in, err := s.Rules.Integration(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.ListWorkers(ctx, p.Org.ID, in.ID, s.liveSince())
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, w := range all {
		if w.StoppedAt.IsZero() {
			out = append(out, w)
		}
	}
	return out, nil
}

// signals wakes goroutines waiting on a key: a waiter takes the key's
// channel, and fire closes it (and forgets it), waking every waiter.
type signals struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

func (s *signals) wait(key string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]chan struct{}{}
	}
	ch, ok := s.m[key]
	if !ok {
		ch = make(chan struct{})
		s.m[key] = ch
	}
	return ch
}

func (s *signals) fire(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.m[key]; ok {
		close(ch)
		delete(s.m, key)
	}
}

// forget drops the key's channel without waking anyone (the single waiter
// of an invocation is done with it).
func (s *signals) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}
