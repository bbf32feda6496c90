package store

import (
	"context"
	"encoding/binary"
	"log/slog"

	"github.com/bits-and-blooms/bloom/v3"
)

// keyFilter answers, without reading the database, that a key is not
// stored (under its hash in webhook_event_key_hashes, or in
// webhook_event_keys; "the table" below is both): nearly every event
// received carries a key never seen, and looking it up read a page at a
// random place of a table that grows with every event. A Bloom filter of
// the keys' hashes can say "maybe" for a key that is not there (about 1%
// of keys per filter), never "no" for one that is; a maybe is looked up as
// before.
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

// key is a key's hash (keyHash) as the filters take it, in a buffer
// reused from call to call (the mutex guards it too): asking costs no
// allocation.
func (f *keyFilter) key(hash int64) []byte {
	f.buf = binary.LittleEndian.AppendUint64(f.buf[:0], uint64(hash))
	return f.buf
}

func (f *keyFilter) add(hash int64) {
	if f.held == f.room {
		f.room = max(keyFilterFirst, 2*f.room)
		f.filters = append(f.filters, bloom.NewWithEstimates(f.room, keyFilterFP))
		f.held = 0
	}
	f.filters[len(f.filters)-1].Add(f.key(hash))
	f.held++
}

// mayHold reports whether the key of this hash may be stored.
func (f *keyFilter) mayHold(hash int64) bool {
	if !f.ready {
		return true
	}
	key := f.key(hash)
	for _, b := range f.filters {
		if b.Test(key) {
			return true
		}
	}
	return false
}

// filterKeys adds a key written to webhook_event_keys to the filter in
// use and to the one being filled, if any. Called with mu held.
func (k *eventKeys) filterKeys(hash int64) {
	k.filter.add(hash)
	k.filter.added++
	if k.next != nil {
		k.next.add(hash)
		k.next.added++
	}
}

// fillKeyFilter reads the keys stored (their hashes) into f from a
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
	// The hashes' table gives the hashes; webhook_event_keys the keys.
	rows, err := s.r.QueryContext(ctx, `SELECT hash, '', '' FROM webhook_event_key_hashes
		UNION ALL SELECT 0, webhook_id, provider_event_id FROM webhook_event_keys`)
	if err != nil {
		warn(err)
		return false
	}
	defer rows.Close()
	batch := make([]int64, 0, 1000)
	flush := func() {
		k.mu.Lock()
		for _, hash := range batch {
			f.add(hash)
		}
		f.read += uint(len(batch))
		k.mu.Unlock()
		batch = batch[:0]
	}
	for rows.Next() {
		var hash int64
		var key eventKey
		if err := rows.Scan(&hash, &key.webhook, &key.provider); err != nil {
			warn(err)
			return false
		}
		if key.webhook != "" {
			hash = keyHash(key)
		}
		if batch = append(batch, hash); len(batch) == cap(batch) {
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
