package store

import (
	"context"
	"fmt"
)

// SQLite has one writer, and every commit waits for the disk. Small writes
// that many goroutines make at once (a trigger run's attempt, an
// idempotency record) therefore share commits: InGroupTx queues the write,
// one loop runs every queued write in one transaction, each inside a
// savepoint of its own so that one failing write undoes only itself, and
// commits once. Each caller returns after the commit that holds its write,
// so a write is as durable when InGroupTx returns as with InTx.
//
// On PostgreSQL, which has many writers, InGroupTx is InTx.

// maxGroup bounds the writes of one commit.
const maxGroup = 256

// groupWrite is one caller's write: fn, run inside the shared transaction.
type groupWrite = call[func(*Tx) error]

func (s *Store) startGroupCommits() {
	s.group = startBatcher(maxGroup, s.commitGroup)
}

// InGroupTx runs fn in a transaction it may share with other writes; see
// above. fn may run more than once (when a shared transaction fails as a
// whole, each write is run again on its own), so it must only write
// through tx and set the values it returns.
func (s *Store) InGroupTx(ctx context.Context, fn func(*Tx) error) error {
	if s.group == nil {
		return s.InTx(ctx, fn)
	}
	return s.group.do(ctx, fn)
}

// commitGroup runs batch in one transaction and tells each write how it
// went.
func (s *Store) commitGroup(batch []*groupWrite) {
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		s.commitEach(batch)
		return
	}
	t := &Tx{s: s, tx: tx}
	results := make([]error, len(batch))
	for i, w := range batch {
		if err := w.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.Exec("SAVEPOINT group_write"); err != nil {
			_ = tx.Rollback()
			s.commitEach(batch)
			return
		}
		if results[i] = w.v(t); results[i] != nil {
			// A failed write undoes itself. Should SQLite have rolled the
			// whole transaction back (a full disk, say), run each write on
			// its own instead.
			if _, err := tx.Exec("ROLLBACK TO group_write"); err != nil {
				_ = tx.Rollback()
				s.commitEach(batch)
				return
			}
		}
		if _, err := tx.Exec("RELEASE group_write"); err != nil {
			_ = tx.Rollback()
			s.commitEach(batch)
			return
		}
	}
	err = tx.Commit()
	if t.dirty {
		s.bump()
	}
	for i, w := range batch {
		if results[i] == nil && err != nil {
			results[i] = fmt.Errorf("commit: %w", mapErr(err))
		}
		w.done <- results[i]
	}
}

// commitEach runs each write in a transaction of its own.
func (s *Store) commitEach(batch []*groupWrite) {
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.done <- err
			continue
		}
		w.done <- s.InTx(w.ctx, w.v)
	}
}
