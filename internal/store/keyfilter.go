package store

import (
	"context"
	"log/slog"

	"github.com/bits-and-blooms/bloom/v3"
)

// keyFilter answers, without reading the database, that a key is not in
// webhook_event_keys: nearly every event received carries a key never
// seen, and looking it up there read a page at a random place of a table
// that grows with every event. A Bloom filter can say "maybe" for a key
// that is not there (about 1% of keys per filter), never "no" for one that
// is; a maybe is looked up as before.
//
// The filter holds every key written to the table since the store opened
// (the fold's and those written at once, added before they can be missed)
// and, once ready, every key the table held when it opened, read in the
// background meanwhile; until then it says maybe to everything. Keys that
// leave the table (retention, a deleted webhook) stay in the filter, which
// costs a lookup when a new key meets them. It grows by adding a filter
// twice the size of the last once that one is full. Guarded by the
// eventKeys mutex.
type keyFilter struct {
	ready   bool
	filters []*bloom.BloomFilter
	held    uint // keys added to the newest filter
	room    uint // keys the newest filter is sized for
}

const (
	keyFilterFirst = 1 << 20 // keys the first filter is sized for
	keyFilterFP    = 0.01    // false positives per filter, at its size
)

func filterKey(k eventKey) string { return k.webhook + "\x00" + k.provider }

func (f *keyFilter) add(k eventKey) {
	if f.held == f.room {
		f.room = max(keyFilterFirst, 2*f.room)
		f.filters = append(f.filters, bloom.NewWithEstimates(f.room, keyFilterFP))
		f.held = 0
	}
	f.filters[len(f.filters)-1].AddString(filterKey(k))
	f.held++
}

// mayHold reports whether k may be in webhook_event_keys.
func (f *keyFilter) mayHold(k eventKey) bool {
	if !f.ready {
		return true
	}
	s := filterKey(k)
	for _, b := range f.filters {
		if b.TestString(s) {
			return true
		}
	}
	return false
}

// fillKeyFilter adds the keys webhook_event_keys holds, read from a reader
// connection a thousand at a time, and then lets the filter answer. Keys
// the fold or a batch writes meanwhile are added as they are written, so
// none is missed whether the read sees it or not. A read that fails leaves
// the filter saying maybe to everything, which costs only lookups.
func (s *Store) fillKeyFilter(ctx context.Context) {
	k := s.keys
	defer close(k.filled)
	warn := func(err error) {
		if ctx.Err() == nil {
			slog.Default().Warn("read webhook event keys for their filter; looking every key up instead", "error", err)
		}
	}
	rows, err := s.r.QueryContext(ctx, `SELECT webhook_id, provider_event_id FROM webhook_event_keys`)
	if err != nil {
		warn(err)
		return
	}
	defer rows.Close()
	batch := make([]eventKey, 0, 1000)
	flush := func() {
		k.mu.Lock()
		for _, key := range batch {
			k.filter.add(key)
		}
		k.mu.Unlock()
		batch = batch[:0]
	}
	for rows.Next() {
		var key eventKey
		if err := rows.Scan(&key.webhook, &key.provider); err != nil {
			warn(err)
			return
		}
		if batch = append(batch, key); len(batch) == cap(batch) {
			flush()
		}
	}
	if err := rows.Err(); err != nil {
		warn(err)
		return
	}
	flush()
	k.mu.Lock()
	k.filter.ready = true
	k.mu.Unlock()
}
