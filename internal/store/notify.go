package store

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Nodes that share a PostgreSQL database tell each other about changes
// with NOTIFY: that memoized rows changed (so every node re-reads them),
// that an SDK worker has work, that an invocation has its result. One
// connection per node LISTENs on every channel and hands each payload to
// the channel's subscribers. On SQLite there is one node, and Notify calls
// the subscribers directly.

// memoChannel announces a write to a memoized table.
const memoChannel = "plugboard_memo"

// memoBackstop bounds how long a memoized row can outlive a change whose
// announcement was lost (the NOTIFY failed after its commit): every node
// forgets its memoized rows this often.
const memoBackstop = 30 * time.Second

type notifier struct {
	mu   sync.RWMutex
	subs map[string][]func(payload string)
}

// Subscribe calls fn with the payload of every notification on channel,
// from any node (this one included). Subscribe before Watch runs.
func (s *Store) Subscribe(channel string, fn func(payload string)) {
	s.notes.mu.Lock()
	defer s.notes.mu.Unlock()
	if s.notes.subs == nil {
		s.notes.subs = map[string][]func(string){}
	}
	s.notes.subs[channel] = append(s.notes.subs[channel], fn)
}

func (s *Store) deliver(channel, payload string) {
	s.notes.mu.RLock()
	subs := s.notes.subs[channel]
	s.notes.mu.RUnlock()
	for _, fn := range subs {
		fn(payload)
	}
}

// Notify tells the subscribers of channel on this node at once, and on
// PostgreSQL those of every node (this one hears it again; subscribers
// take repeats in their stride). It is best effort: subscribers must also
// look for themselves now and then.
func (s *Store) Notify(ctx context.Context, channel, payload string) {
	s.deliver(channel, payload)
	if s.pgPool == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// A failure leaves the other nodes to find out at their next look.
	_, _ = s.pgPool.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload)
}

// Listen starts listening for other nodes' notifications and returns the
// loop that hears them, to run until ctx ends; on PostgreSQL the server
// runs it in the background. It returns once this node listens, so nothing
// announced afterwards is missed (when the first LISTEN fails, the loop
// keeps trying). While it listens, reads of keys, organizations,
// integrations and connections are memoized on PostgreSQL as on SQLite;
// while the connection is lost they are not (a change announced meanwhile
// would be missed), and every memoized row is forgotten when listening
// resumes. Subscribe before Listen.
func (s *Store) Listen(ctx context.Context, logger *slog.Logger) (run func()) {
	if s.pgPool == nil {
		return func() {}
	}
	conn, err := s.listenAll(ctx)
	if err != nil {
		logger.WarnContext(ctx, "listen for other nodes' changes; retrying", "error", err)
	} else {
		s.bumpLocal()
		s.listening.Store(true)
	}
	return func() {
		go func() {
			tick := time.NewTicker(memoBackstop)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					s.bumpLocal()
				}
			}
		}()
		delay := time.Second
		for ctx.Err() == nil {
			if conn == nil {
				select {
				case <-ctx.Done():
					return
				case <-time.After(delay):
				}
				if conn, err = s.listenAll(ctx); err != nil {
					logger.WarnContext(ctx, "listen for other nodes' changes; retrying", "error", err, "in", delay)
					delay = min(2*delay, time.Minute)
					continue
				}
				delay = time.Second
				s.bumpLocal()
				s.listening.Store(true)
			}
			err = s.receive(ctx, conn)
			s.listening.Store(false)
			s.bumpLocal()
			// A connection left listening must not go back to the pool.
			_ = conn.Hijack().Close(context.WithoutCancel(ctx))
			conn = nil
			if ctx.Err() == nil {
				logger.WarnContext(ctx, "listening for other nodes' changes: connection lost; listening again", "error", err)
			}
		}
	}
}

func (s *Store) listenAll(ctx context.Context) (*pgxpool.Conn, error) {
	conn, err := s.pgPool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	s.notes.mu.RLock()
	channels := []string{memoChannel}
	for ch := range s.notes.subs {
		channels = append(channels, ch)
	}
	s.notes.mu.RUnlock()
	for _, ch := range channels {
		if _, err := conn.Exec(ctx, `LISTEN "`+ch+`"`); err != nil {
			conn.Release()
			return nil, err
		}
	}
	return conn, nil
}

func (s *Store) receive(ctx context.Context, conn *pgxpool.Conn) error {
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		switch {
		case err != nil:
			return err
		case n.Channel == memoChannel:
			s.bumpLocal()
		default:
			s.deliver(n.Channel, n.Payload)
		}
	}
}
