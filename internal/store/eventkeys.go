package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// On SQLite a webhook's provider event ids are kept unique in a table of
// their own instead of a unique index on the events (migrations 0018 and
// 0021): a loop here folds the keys of the events received into
// webhook_event_keys every few seconds, sorted, many keys to each page.
// A unique index on random ids wrote a page per event; the fold writes a
// page per many. PostgreSQL keeps its unique index.
//
// recent holds in memory the keys of events not yet folded. An entry is
// added before the transaction that writes its event commits, so no later
// transaction can miss it; an entry whose transaction rolled back, or
// whose key the fold has moved, is confirmed against the tables before it
// counts. Only the single writer writes the keys (a reader connection
// reads them for the filter in keyfilter.go).
//
// After a restart, recent is read back from the events themselves: those
// with an id at or above mark-slack, where mark (webhook_event_keys_mark)
// is the time of the last fold that finished. An event's id carries the
// time its request came in, not the time it committed, so one can commit
// after a fold although its id is older than that fold's time. Those
// events, whose id is below the mark in memory less the slack when they
// are written, have their key written to webhook_event_keys at once, in
// their batch's transaction, instead of waiting in recent. So every key is
// either folded, or written at once, or carried by an event the read
// after a restart finds:
//   - the fold takes its snapshot of recent and raises the mark in memory
//     in one step, under the same lock under which a batch decides which
//     keys wait and adds them to recent;
//   - a batch that decided before that step is in the snapshot, and the
//     fold copies its keys (the copy waits for the writer, so the batch
//     has committed or rolled back by then) before it stores the mark;
//   - a batch that decides after it compares with the new mark, so a key
//     of its that waits is carried by an event at or above mark-slack.
// A clock set back only makes more keys go at once.
//
// A key is stored as a 64-bit hash of it (keyHash) with the id of the
// event that carries it, in webhook_event_key_hashes (migration 0022): a
// row a third the size of the key's own text, compared as one integer. A
// hash names a key only together with its event: a lookup that finds the
// hash reads the event to see whether it carries this key. When another
// key already holds the hash (about once in 2^64/n keys; more only for a
// sender who crafts them), the key goes to webhook_event_keys instead,
// which also keeps the keys folded before the hashes. An event carries its
// key's hash (webhook_events.key_hash), so deleting it forgets its key in
// either table.

type eventKey struct{ webhook, provider string }

// keyHash is the hash a key is stored under: FNV-1a over the webhook id, a
// zero byte and the provider's id. Not secret, and not needed to be: a
// hash only ever stands for a key together with the event that carries
// it, so two keys that share one cost a lookup, never a delivery. A
// variable so that tests can make keys collide.
var keyHash = func(k eventKey) int64 {
	h := fnv.New64a()
	h.Write([]byte(k.webhook))
	h.Write([]byte{0})
	h.Write([]byte(k.provider))
	return int64(h.Sum64())
}

type eventKeys struct {
	mu     sync.Mutex
	recent map[eventKey]string // key → the event id it was written with
	// markMS is the time of the newest fold's snapshot (Unix ms): an
	// event whose id is older than markMS-keySlack has its key written at
	// once. The table's mark trails it until that fold has copied its
	// keys.
	markMS int64
	// storedMS is the mark as the table has it.
	storedMS int64
	// filter says which keys cannot be in webhook_event_keys; next is a
	// new one being filled to take its place (see keyfilter.go); lookups
	// counts the keys not in recent that the filter could not rule out
	// (for tests).
	filter  *keyFilter
	next    *keyFilter
	lookups int

	kick     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	// The filters' fills from the table: cancelled and waited for on
	// stop; filled closes when the first ends.
	fillCtx    context.Context
	cancelFill context.CancelFunc
	filled     chan struct{}
}

const (
	foldEvery         = 10 * time.Second // how often recent keys are folded
	foldAt            = 100_000          // or sooner, once this many wait
	foldSlice         = 5_000            // keys per fold transaction, adjacent in key order
	keysPerIn         = 100              // keys per lookup statement (two values each)
	foldRowsPerInsert = 500              // keys per statement of a fold (three values each)
	// keySlack is how much older than the mark an event's id may be and
	// its key still wait for the fold: longer than an event waits between
	// its request and its commit, but for a batch held up for longer.
	keySlack = 30 * time.Second
	// idleMarkEvery is how far the mark may run ahead of the table's
	// while no key waits before a fold stores it anyway.
	idleMarkEvery = time.Minute
)

// startEventKeys reads the keys not yet folded (after a restart, those
// the last run left), starts filling the filter and starts the fold loop.
func (s *Store) startEventKeys(ctx context.Context) error {
	k := &eventKeys{recent: map[eventKey]string{}, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if err := s.w.QueryRowContext(ctx, `SELECT folded_ms FROM webhook_event_keys_mark`).Scan(&k.markMS); err != nil {
		return fmt.Errorf("read the event keys' mark: %w", err)
	}
	k.storedMS = k.markMS
	rows, err := queryAll(ctx, s.w, recentKeys, scanKeyRow, k.waitingFrom())
	if err != nil {
		return fmt.Errorf("read recent event keys: %w", err)
	}
	for _, r := range rows {
		k.recent[r.key] = r.id
	}
	if err := s.hashRecentEvents(ctx, k.waitingFrom()); err != nil {
		return err
	}
	s.keys = k
	k.filter = &keyFilter{}
	k.fillCtx, k.cancelFill = context.WithCancel(context.Background())
	k.filled = make(chan struct{})
	go func() {
		defer close(k.filled)
		s.fillKeyFilter(k.fillCtx, k.filter)
	}()
	go s.foldLoop()
	return nil
}

// hashRecentEvents gives the events from an id on that carry a key but no
// hash (written before migration 0022) their key's hash: their keys are
// folded by hash, and deleting such an event must forget its key there.
// After the first start on the new schema there are none.
func (s *Store) hashRecentEvents(ctx context.Context, from string) error {
	rows, err := queryAll(ctx, s.w, `SELECT id, webhook_id, provider_event_id FROM webhook_events
		WHERE id >= ? AND provider_event_id IS NOT NULL AND key_hash IS NULL`, scanKeyRow, from)
	if err != nil {
		return fmt.Errorf("read recent event keys: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	return s.InTx(ctx, func(tx *Tx) error {
		for _, r := range rows {
			if _, err := tx.tx.ExecContext(ctx, `UPDATE webhook_events SET key_hash = ? WHERE id = ?`, keyHash(r.key), r.id); err != nil {
				return fmt.Errorf("hash recent event keys: %w", err)
			}
		}
		return nil
	})
}

// recentKeys reads the keys of the events from an id on, through the index
// of event ids: a restart reads the last seconds' events, not all of them.
const recentKeys = `SELECT id, webhook_id, provider_event_id FROM webhook_events
	WHERE id >= ? AND provider_event_id IS NOT NULL`

// waitingFrom is the least event id whose key may wait in recent: older
// ones are written at once. Called with mu held, or before the loop starts.
func (k *eventKeys) waitingFrom() string {
	return eventIDBefore(time.UnixMilli(k.markMS).Add(-keySlack))
}

func (s *Store) stopEventKeys() {
	if k := s.keys; k != nil {
		k.stopOnce.Do(func() { close(k.stop); k.cancelFill() })
		<-k.done
		<-k.filled
	}
}

func (s *Store) foldLoop() {
	k := s.keys
	defer close(k.done)
	tick := time.NewTicker(foldEvery)
	defer tick.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-tick.C:
		case <-k.kick:
		}
		// A fold that fails leaves its keys where they were, still
		// found; the next tick tries again.
		if err := s.FoldEventKeys(context.Background()); err != nil {
			slog.Default().Warn("fold webhook event keys; trying again", "error", err)
			continue
		}
		s.refillKeyFilter(k.fillCtx)
	}
}

// FoldEventKeys moves the keys of recent events into webhook_event_keys
// now, a slice of adjacent keys per transaction, so that each transaction
// touches few pages and holds the writer briefly, and then stores the
// mark. The fold loop calls it; tests call it to see keys on both sides
// of a fold. Nothing on PostgreSQL.
func (s *Store) FoldEventKeys(ctx context.Context) error {
	k := s.keys
	if k == nil {
		return nil
	}
	k.mu.Lock()
	all := make([]keyRow, 0, len(k.recent))
	for key, id := range k.recent {
		all = append(all, keyRow{key: key, id: id})
	}
	k.markMS = max(k.markMS, time.Now().UnixMilli())
	mark, stored := k.markMS, k.storedMS
	k.mu.Unlock()
	if len(all) == 0 {
		// Nothing waits: the mark may move on, but without a write every
		// few seconds on an idle server. It is what bounds the events a
		// start reads, even when none of them carries a key.
		if time.Duration(mark-stored)*time.Millisecond < idleMarkEvery {
			return nil
		}
		return s.storeMark(ctx, mark)
	}
	for i := range all {
		all[i].hash = keyHash(all[i].key)
	}
	slices.SortFunc(all, func(a, b keyRow) int { return cmp.Compare(a.hash, b.hash) })
	for slice := range slices.Chunk(all, foldSlice) {
		// Only keys whose event is there move: an entry of a transaction
		// that rolled back has none, and is dropped below. Whether the
		// event is there is read from the index of event ids alone.
		err := s.InTx(ctx, func(tx *Tx) error {
			if err := tx.storeKeys(ctx, slice); err != nil {
				return fmt.Errorf("fold event keys: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		foldCommitted()
		k.mu.Lock()
		for _, e := range slice {
			k.filterKeys(e.hash) // before it leaves recent; one that was not copied only costs a lookup
			if k.recent[e.key] == e.id {
				delete(k.recent, e.key)
			}
		}
		k.mu.Unlock()
	}
	// Every key of an event older than mark-keySlack is folded now, or
	// was written at once.
	return s.storeMark(ctx, mark)
}

// storeMark stores the mark of a fold whose keys are all copied.
func (s *Store) storeMark(ctx context.Context, mark int64) error {
	err := s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE webhook_event_keys_mark SET folded_ms = max(folded_ms, ?)`, mark); err != nil {
			return fmt.Errorf("fold event keys: %w", err)
		}
		return nil
	})
	if err == nil {
		k := s.keys
		k.mu.Lock()
		k.storedMS = max(k.storedMS, mark)
		k.mu.Unlock()
	}
	return err
}

// storeKeys stores keys (their hashes set, in hash order) whose event is
// stored, each under its hash, or in webhook_event_keys when another key
// holds the hash; a key already stored stays as it is.
func (t *Tx) storeKeys(ctx context.Context, keys []keyRow) error {
	var others []keyRow // keys whose hash another key holds
	for rows := range slices.Chunk(keys, foldRowsPerInsert) {
		args := make([]any, 0, 2*len(rows))
		for _, r := range rows {
			args = append(args, r.hash, r.id)
		}
		res, err := t.tx.ExecContext(ctx, foldInsert(len(rows)), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && int(n) == len(rows) {
			continue // each under its hash: nearly always
		}
		// Fewer stored: a hash was there (this key's, from a fold after
		// a restart read the last seconds' keys back, or another key's),
		// or an event is not stored (its transaction rolled back). Which
		// event each hash names, and its key, tell which.
		holders, err := t.hashHolders(ctx, rows)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if h, ok := holders[r.hash]; ok && (h.id == r.id || h.key == r.key) {
				continue // stored under its hash, now or before
			}
			others = append(others, r) // the insert below leaves out one whose event is not stored
		}
	}
	for rows := range slices.Chunk(others, foldRowsPerInsert) {
		args := make([]any, 0, 3*len(rows))
		for _, r := range rows {
			args = append(args, r.key.webhook, r.key.provider, r.id)
		}
		if _, err := t.tx.ExecContext(ctx, keyTextInsert(len(rows)), args...); err != nil {
			return err
		}
	}
	return nil
}

// hashHolders reads, for the rows' hashes, the event each hash names and
// the key that event carries (none when the event is gone).
func (t *Tx) hashHolders(ctx context.Context, rows []keyRow) (map[int64]keyRow, error) {
	hashes := make([]int64, len(rows))
	for i, r := range rows {
		hashes[i] = r.hash
	}
	list, _ := json.Marshal(hashes)
	held, err := queryAll(ctx, t.tx, `SELECT k.hash, k.event_id, COALESCE(e.webhook_id, ''), COALESCE(e.provider_event_id, '')
		FROM webhook_event_key_hashes k LEFT JOIN webhook_events e ON e.id = k.event_id
		WHERE k.hash IN (SELECT value FROM json_each(?))`, func(row rowScanner) (keyRow, error) {
		var r keyRow
		return r, row.Scan(&r.hash, &r.id, &r.key.webhook, &r.key.provider)
	}, string(list))
	if err != nil {
		return nil, err
	}
	holders := make(map[int64]keyRow, len(held))
	for _, r := range held {
		holders[r.hash] = r
	}
	return holders, nil
}

// foldInsert stores n keys, given as hash and event id each, those whose
// event is stored (read from the index of event ids alone); a hash already
// there is left as it is.
func foldInsert(n int) string {
	return multiRow(`WITH v (hash, event_id) AS (`, n, 2) +
		`) INSERT INTO webhook_event_key_hashes (hash, event_id)
		SELECT hash, event_id FROM v WHERE EXISTS (SELECT 1 FROM webhook_events e WHERE e.id = v.event_id)
		ON CONFLICT DO NOTHING`
}

// keyTextInsert stores n keys, given as webhook id, provider id and event
// id each, in webhook_event_keys, those whose event is stored.
func keyTextInsert(n int) string {
	return multiRow(`WITH v (webhook_id, provider_event_id, event_id) AS (`, n, 3) +
		`) INSERT INTO webhook_event_keys (webhook_id, provider_event_id, event_id)
		SELECT webhook_id, provider_event_id, event_id FROM v WHERE EXISTS (SELECT 1 FROM webhook_events e WHERE e.id = v.event_id)
		ON CONFLICT DO NOTHING`
}

// foldCommitted runs between a fold's commit and its keys leaving recent;
// a test makes a repeat arrive there.
var foldCommitted = func() {}

// remember notes keys written in a transaction not yet committed, and
// reports which of them must be written to webhook_event_keys at once
// instead: see the comment at the top.
func (k *eventKeys) remember(keys []eventKey, ids []string) (late []int) {
	k.mu.Lock()
	from := k.waitingFrom()
	for i, key := range keys {
		if ids[i] < from {
			late = append(late, i)
			k.filterKeys(keyHash(key))
			continue
		}
		k.recent[key] = ids[i]
	}
	n := len(k.recent)
	k.mu.Unlock()
	if n >= foldAt {
		select {
		case k.kick <- struct{}{}:
		default:
		}
	}
	return late
}

// storedKeys reports which of keys an event already stored carries, with
// that event's id.
func (t *Tx) storedKeys(ctx context.Context, keys []eventKey) (map[eventKey]string, error) {
	found := map[eventKey]string{}
	k := t.s.keys
	var candidates []eventKey // keys recent names, to confirm
	var ids []string          // the event ids it names for them
	var rest []eventKey       // keys to look up in webhook_event_keys
	k.mu.Lock()
	for _, key := range keys {
		if id, ok := k.recent[key]; ok {
			candidates, ids = append(candidates, key), append(ids, id)
		} else if k.filter.mayHold(keyHash(key)) {
			rest = append(rest, key)
		}
	}
	k.lookups += len(rest)
	k.mu.Unlock()
	if len(candidates) > 0 {
		rows, err := queryAll(ctx, t.tx, `SELECT id, webhook_id, provider_event_id FROM webhook_events
			WHERE id IN (SELECT value FROM json_each(?)) AND provider_event_id IS NOT NULL`, scanKeyRow, jsonList(ids))
		if err != nil {
			return nil, fmt.Errorf("look up event keys: %w", mapErr(err))
		}
		for _, r := range rows {
			found[r.key] = r.id
		}
		// Not confirmed: rolled back (no row anywhere) or folded a moment
		// ago (in webhook_event_keys); the lookup below tells which.
		for _, key := range candidates {
			if _, ok := found[key]; !ok {
				rest = append(rest, key)
			}
		}
	}
	for start := 0; start < len(rest); start += keysPerIn {
		chunk := rest[start:min(start+keysPerIn, len(rest))]
		// Under its hash, where the event the hash names carries this key…
		hashes := make([]any, len(chunk))
		asked := make(map[eventKey]bool, len(chunk))
		for i, key := range chunk {
			hashes[i], asked[key] = keyHash(key), true
		}
		rows, err := queryAll(ctx, t.tx, hashLookup(len(chunk)), scanKeyRow, hashes...)
		if err != nil {
			return nil, fmt.Errorf("look up event keys: %w", mapErr(err))
		}
		for _, r := range rows {
			if asked[r.key] { // not another key's event under the same hash
				found[r.key] = r.id
			}
		}
		// …or in webhook_event_keys.
		args := make([]any, 0, 2*len(chunk))
		for _, key := range chunk {
			args = append(args, key.webhook, key.provider)
		}
		rows, err = queryAll(ctx, t.tx, keyLookup(len(chunk)), scanKeyRow, args...)
		if err != nil {
			return nil, fmt.Errorf("look up event keys: %w", mapErr(err))
		}
		for _, r := range rows {
			found[r.key] = r.id
		}
	}
	return found, nil
}

// hashLookup finds the events that n hashes name, with the keys they
// carry, by the hashes' table and the events' primary key.
func hashLookup(n int) string {
	return `SELECT e.id, e.webhook_id, e.provider_event_id FROM (VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?), ", n), ", ") +
		`) AS v CROSS JOIN webhook_event_key_hashes k ON k.hash = v.column1 CROSS JOIN webhook_events e ON e.id = k.event_id`
}

// keyRow is a key and the id of the event that carries it.
type keyRow struct {
	key  eventKey
	id   string
	hash int64 // keyHash(key), where it is needed
}

// scanKeyRow reads event_id, webhook_id, provider_event_id.
func scanKeyRow(row rowScanner) (keyRow, error) {
	var r keyRow
	err := row.Scan(&r.id, &r.key.webhook, &r.key.provider)
	return r, err
}

// keyLookup finds n keys, given as webhook id and provider id each, in
// webhook_event_keys. The CROSS JOIN looks them up one by one by the
// primary key: "(a, b) IN (VALUES …)" scanned the whole table.
func keyLookup(n int) string {
	return `SELECT k.event_id, k.webhook_id, k.provider_event_id FROM (VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ") +
		`) AS v CROSS JOIN webhook_event_keys k ON k.webhook_id = v.column1 AND k.provider_event_id = v.column2`
}

// insertEventsSQLite is Tx.InsertEvents on SQLite: events whose key is
// stored, or earlier in the batch, or whose webhook is gone, are left out;
// the others are written with their keys.
func (t *Tx) insertEventsSQLite(ctx context.Context, events []Event) ([]bool, error) {
	inserted := make([]bool, len(events))
	if len(events) == 0 {
		return inserted, nil
	}
	hooks, err := t.existingWebhooks(ctx, events)
	if err != nil {
		return nil, err
	}
	// A key repeated within the batch is looked up once per copy, which
	// costs nothing the lookup notices; the loop below keeps the first.
	var keys []eventKey
	for _, e := range events {
		if hooks[e.WebhookID] && e.ProviderEventID != "" {
			keys = append(keys, eventKey{e.WebhookID, e.ProviderEventID})
		}
	}
	var stored map[eventKey]string
	if len(keys) > 0 {
		var err error
		if stored, err = t.storedKeys(ctx, keys); err != nil {
			return nil, err
		}
	}
	var (
		store   = make([]Event, 0, len(events))
		newKeys = make([]eventKey, 0, len(keys))
		newIDs  = make([]string, 0, len(keys))
	)
	taken := map[eventKey]bool{}
	for i, e := range events {
		if !hooks[e.WebhookID] {
			continue // deleted while the event was on its way
		}
		if e.ProviderEventID != "" {
			key := eventKey{e.WebhookID, e.ProviderEventID}
			if _, dup := stored[key]; dup || taken[key] {
				continue
			}
			taken[key] = true
			newKeys, newIDs = append(newKeys, key), append(newIDs, e.ID)
		}
		inserted[i] = true
		store = append(store, e)
	}
	for start := 0; start < len(store); start += eventRowsPerInsert {
		chunk := store[start:min(start+eventRowsPerInsert, len(store))]
		args := make([]any, 0, 9*len(chunk))
		for _, e := range chunk {
			var hash any // NULL without a key
			if e.ProviderEventID != "" {
				hash = keyHash(eventKey{e.WebhookID, e.ProviderEventID})
			}
			args = append(args, e.ID, e.OrgID, e.WebhookID, nullStr(e.ProviderEventID), hash, e.Headers, e.Body, e.SourceIP, e.ReceivedAt.UnixMilli())
		}
		query := multiRow(`INSERT INTO webhook_events (id, org_id, webhook_id, provider_event_id, key_hash, headers, body, source_ip, received_at)`, len(chunk), 9)
		if _, err := t.tx.ExecContext(ctx, query, args...); err != nil {
			return nil, fmt.Errorf("insert events: %w", mapErr(err))
		}
	}
	if len(newKeys) == 0 {
		return inserted, nil
	}
	late := t.s.keys.remember(newKeys, newIDs)
	if len(late) > 0 {
		rows := make([]keyRow, len(late))
		for j, i := range late {
			rows[j] = keyRow{key: newKeys[i], id: newIDs[i], hash: keyHash(newKeys[i])}
		}
		slices.SortFunc(rows, func(a, b keyRow) int { return cmp.Compare(a.hash, b.hash) })
		if err := t.storeKeys(ctx, rows); err != nil {
			return nil, fmt.Errorf("insert event keys: %w", mapErr(err))
		}
	}
	return inserted, nil
}

// existingWebhooks reports which of the events' webhooks exist: an event
// of a webhook deleted meanwhile is left out, as on PostgreSQL, rather than
// failing the batch on its foreign key.
func (t *Tx) existingWebhooks(ctx context.Context, events []Event) (map[string]bool, error) {
	var ids []string
	seen := map[string]bool{}
	for _, e := range events {
		if !seen[e.WebhookID] {
			seen[e.WebhookID] = true
			ids = append(ids, e.WebhookID)
		}
	}
	found, err := queryAll(ctx, t.tx, `SELECT id FROM webhooks WHERE id IN (SELECT value FROM json_each(?))`, func(row rowScanner) (string, error) {
		var id string
		return id, row.Scan(&id)
	}, jsonList(ids))
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", mapErr(err))
	}
	exists := make(map[string]bool, len(found))
	for _, id := range found {
		exists[id] = true
	}
	return exists, nil
}

// eventIDByKeySQLite is EventIDByProviderID on SQLite.
func (s *Store) eventIDByKeySQLite(ctx context.Context, webhookID, providerID string) (string, error) {
	var out string
	err := s.InTx(ctx, func(tx *Tx) error {
		found, err := tx.storedKeys(ctx, []eventKey{{webhookID, providerID}})
		if err != nil {
			return err
		}
		id, ok := found[eventKey{webhookID, providerID}]
		if !ok {
			return ErrNotFound
		}
		out = id
		return nil
	})
	return out, err
}

// jsonList is ids as a JSON array, for json_each: one bound value however
// many ids.
func jsonList(ids []string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}
