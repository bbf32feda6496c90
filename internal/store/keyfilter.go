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
// The filter holds every key the table held when the filter's fill read
// it, and every key written to the table since the fill began (the fold's
// and those written at once, added before they can be missed); until its
// fill ends it says maybe to everything. It grows by adding a filter twice
// the size of the last once that one is full. Keys that leave the table
// (retention, a deleted webhook) stay in the filter and only cost a lookup
// when a new key meets them; so that it does not grow with every key ever
// received, the fold loop builds a new filter from the table once the keys
// added since the last fill outnumber those it read (see refillKeyFilter).
// Guarded by the eventKeys mutex.
type keyFilter struct {
	ready   bool
	filters []*bloom.BloomFilter
	held    uint // keys added to the newest filter
	room    uint // keys the newest filter is sized for
	read    uint // keys its fill read from the table
	added   uint // keys added since that fill began
	buf     []byte
}

const keyFilterFP = 0.01 // false positives per filter, at its size

// keyFilterFirst is how many keys the first filter is sized for, and how
// many keys may be added beyond those the fill read before a new fill.
var keyFilterFirst uint = 1 << 20

// key is k as the filters hash it, in a buffer reused from call to call
// (the mutex guards it too): asking costs no allocation.
func (f *keyFilter) key(k eventKey) []byte {
	f.buf = append(append(append(f.buf[:0], k.webhook...), 0), k.provider...)
	return f.buf
}

func (f *keyFilter) add(k eventKey) {
	if f.held == f.room {
		f.room = max(keyFilterFirst, 2*f.room)
		f.filters = append(f.filters, bloom.NewWithEstimates(f.room, keyFilterFP))
		f.held = 0
	}
	f.filters[len(f.filters)-1].Add(f.key(k))
	f.held++
}

// mayHold reports whether k may be in webhook_event_keys.
func (f *keyFilter) mayHold(k eventKey) bool {
	if !f.ready {
		return true
	}
	key := f.key(k)
	for _, b := range f.filters {
		if b.Test(key) {
			return true
		}
	}
	return false
}

// filterKeys adds a key written to webhook_event_keys to the filter in
// use and to the one being filled, if any. Called with mu held.
func (k *eventKeys) filterKeys(key eventKey) {
	k.filter.add(key)
	k.filter.added++
	if k.next != nil {
		k.next.add(key)
		k.next.added++
	}
}

// fillKeyFilter reads the keys webhook_event_keys holds into f from a
// reader connection, a thousand at a time, and then lets f answer. k.next
// is f while it fills, unless f is the filter in use: keys the fold or a
// batch writes meanwhile are added to it as they are written, so none is
// missed whether the read sees it or not. A read that fails leaves f
// saying maybe to everything, which costs only lookups.
func (s *Store) fillKeyFilter(ctx context.Context, f *keyFilter) bool {
	k := s.keys
	warn := func(err error) {
		if ctx.Err() == nil {
			slog.Default().Warn("read webhook event keys for their filter; looking keys up instead", "error", err)
		}
	}
	rows, err := s.r.QueryContext(ctx, `SELECT webhook_id, provider_event_id FROM webhook_event_keys`)
	if err != nil {
		warn(err)
		return false
	}
	defer rows.Close()
	batch := make([]eventKey, 0, 1000)
	flush := func() {
		k.mu.Lock()
		for _, key := range batch {
			f.add(key)
		}
		f.read += uint(len(batch))
		k.mu.Unlock()
		batch = batch[:0]
	}
	for rows.Next() {
		var key eventKey
		if err := rows.Scan(&key.webhook, &key.provider); err != nil {
			warn(err)
			return false
		}
		if batch = append(batch, key); len(batch) == cap(batch) {
			flush()
		}
	}
	if err := rows.Err(); err != nil {
		warn(err)
		return false
	}
	flush()
	k.mu.Lock()
	f.ready = true
	k.mu.Unlock()
	return true
}

// refillKeyFilter builds a new filter from the table when the one in use
// has had more keys added since its fill than that fill read (and more
// than keyFilterFirst): most of them may have left the table meanwhile.
// The new filter takes the place of the old once its fill ends; the old
// answers until then. The fold loop calls it after a fold.
func (s *Store) refillKeyFilter(ctx context.Context) {
	k := s.keys
	k.mu.Lock()
	due := k.filter.ready && k.filter.added > max(k.filter.read, keyFilterFirst)
	if due {
		k.next = &keyFilter{}
	}
	next := k.next
	k.mu.Unlock()
	if !due {
		return
	}
	ok := s.fillKeyFilter(ctx, next)
	k.mu.Lock()
	if ok {
		k.filter = next
	}
	k.next = nil
	k.mu.Unlock()
}
