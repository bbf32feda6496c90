package store

import (
	"context"
	"sync"
	"time"
)

// The hot path of every action call reads a few rows: the caller's key (or
// the member a trigger or an agent acts for, and the organization), the
// integration, its team restriction and the connection; a trigger run's
// also reads when its webhook last changed. On SQLite this node is the only
// writer, so those reads are memoized in memory and invalidated by a
// generation counter that every write to the tables behind them bumps after
// it commits (see bump and Tx.touch; TestEveryConfigWriteInvalidates
// checks that no write forgets). On PostgreSQL other nodes write too: a
// write there also announces itself (NOTIFY, see notify.go), every node
// forgets its memoized rows when it hears of one, and nothing is memoized
// while a node is not listening.
//
// Readers take the generation before they query and store the row under
// it; a write that commits meanwhile bumps the generation, so a row read
// before the commit is never served after it.

const memoMax = 10000

type memo[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]memoEntry[V]
}

type memoEntry[V any] struct {
	gen uint64
	v   V
}

func (m *memo[K, V]) get(k K, gen uint64) (V, bool) {
	m.mu.RLock()
	e, ok := m.m[k]
	m.mu.RUnlock()
	if !ok || e.gen != gen {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (m *memo[K, V]) put(k K, gen uint64, v V) {
	m.mu.Lock()
	if m.m == nil || len(m.m) >= memoMax {
		m.m = make(map[K]memoEntry[V])
	}
	m.m[k] = memoEntry[V]{gen, v}
	m.mu.Unlock()
}

type connKey struct{ org, integration, env, user string }

type memos struct {
	principals   memo[string, Principal] // API key hash → its principal
	users        memo[string, Principal] // user id → the user and organization
	orgs         memo[string, Org]
	integrations memo[[2]string, Integration]
	connections  memo[connKey, Connection]
	teams        memo[string, []string]  // integration → the teams it is restricted to
	webhooks     memo[string, time.Time] // webhook → when it or its triggers last changed
}

// memoGen returns the current generation and whether memoizing is on.
func (s *Store) memoGen() (uint64, bool) {
	if s.engine != SQLite && !s.listening.Load() {
		return 0, false
	}
	return s.gen.Load(), true
}

// bump invalidates every memoized row; call it after a write to orgs,
// users, api_keys, integrations, integration_versions, connections, teams,
// team_members, integration_teams, webhooks or webhook_triggers has
// committed.
func (s *Store) bump() {
	s.bumpLocal()
	if s.pgPool != nil {
		s.Notify(context.Background(), memoChannel, "")
	}
}

// bumpLocal invalidates this node's memoized rows only.
func (s *Store) bumpLocal() { s.gen.Add(1) }

// touch marks the transaction as writing memoized tables; InTx bumps the
// generation once it commits.
func (t *Tx) touch() { t.dirty = true }
