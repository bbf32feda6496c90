package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// On SQLite a webhook's provider event ids are kept unique in two tables
// instead of a unique index on the events (migration 0018): an event's key
// is written with it into webhook_event_keys_recent, whose rows go in the
// order events arrive, and a loop here folds those rows into
// webhook_event_keys every few seconds, sorted, many keys to each page.
// A unique index on random ids wrote a page per event; the fold writes a
// page per many. PostgreSQL keeps its unique index.
//
// recent holds in memory the keys of webhook_event_keys_recent, which has
// no index by key. An entry is added before the transaction that writes
// its row commits, so no later transaction can miss it; an entry whose
// transaction rolled back, or whose row the fold has moved, is confirmed
// against the tables before it counts. Only the single writer reads or
// writes either table.

type eventKey struct{ webhook, provider string }

type eventKeys struct {
	mu     sync.Mutex
	recent map[eventKey]string // key → the event id it was written with
	// folded names rows of webhook_event_keys_recent whose keys were
	// folded but whose delete failed; the next fold deletes them.
	folded []string

	kick     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

const (
	foldEvery = 10 * time.Second // how often recent keys are folded
	foldAt    = 100_000          // or sooner, once this many wait
	foldSlice = 5_000            // keys per fold transaction, adjacent in key order
	keysPerIn = 100              // keys per lookup statement (two values each)
)

// startEventKeys reads the keys not yet folded (after a restart, those
// the last run left) and starts the fold loop.
func (s *Store) startEventKeys(ctx context.Context) error {
	k := &eventKeys{recent: map[eventKey]string{}, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	rows, err := queryAll(ctx, s.w, `SELECT event_id, webhook_id, provider_event_id FROM webhook_event_keys_recent`, scanKeyRow)
	if err != nil {
		return fmt.Errorf("read recent event keys: %w", err)
	}
	for _, r := range rows {
		k.recent[r.key] = r.id
	}
	s.keys = k
	go s.foldLoop()
	return nil
}

func (s *Store) stopEventKeys() {
	if k := s.keys; k != nil {
		k.stopOnce.Do(func() { close(k.stop) })
		<-k.done
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
		}
	}
}

// FoldEventKeys moves the keys of recent events into webhook_event_keys
// now. It copies them a slice of adjacent keys per transaction, so that
// each transaction touches few pages and holds the writer briefly, and
// then deletes them from webhook_event_keys_recent a slice of adjacent
// event ids per transaction: deleted in key order, each slice touched
// nearly every page of that table, whose rows go in event id order. In
// between a key is in both tables, and found in either. The fold loop
// calls it; tests call it to see keys on both sides of a fold. Nothing on
// PostgreSQL.
func (s *Store) FoldEventKeys(ctx context.Context) error {
	k := s.keys
	if k == nil {
		return nil
	}
	k.mu.Lock()
	all := make([]keyRow, 0, len(k.recent))
	for key, id := range k.recent {
		all = append(all, keyRow{key, id})
	}
	k.mu.Unlock()
	slices.SortFunc(all, func(a, b keyRow) int {
		return cmp.Or(strings.Compare(a.key.webhook, b.key.webhook), strings.Compare(a.key.provider, b.key.provider))
	})
	for slice := range slices.Chunk(all, foldSlice) {
		// Only keys whose row is there move: an entry of a transaction
		// that rolled back has none, and is dropped below.
		err := s.InTx(ctx, func(tx *Tx) error {
			// In the list's order, which is the keys' (CROSS JOIN keeps
			// json_each outside): no sort in SQL.
			_, err := tx.tx.ExecContext(ctx, `INSERT INTO webhook_event_keys (webhook_id, provider_event_id, event_id)
				SELECT r.webhook_id, r.provider_event_id, r.event_id FROM json_each(?) j
				CROSS JOIN webhook_event_keys_recent r ON r.event_id = j.value WHERE true
				ON CONFLICT DO NOTHING`, jsonList(keyRowIDs(slice)))
			if err != nil {
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
			if k.recent[e.key] == e.id {
				delete(k.recent, e.key)
			}
		}
		k.mu.Unlock()
	}
	k.mu.Lock()
	ids := append(keyRowIDs(all), k.folded...)
	k.folded = nil
	k.mu.Unlock()
	slices.Sort(ids)
	for start := 0; start < len(ids); start += foldSlice {
		slice := ids[start:min(start+foldSlice, len(ids))]
		err := s.InTx(ctx, func(tx *Tx) error {
			if _, err := tx.tx.ExecContext(ctx, `DELETE FROM webhook_event_keys_recent WHERE event_id IN (SELECT value FROM json_each(?))`, jsonList(slice)); err != nil {
				return fmt.Errorf("fold event keys: %w", err)
			}
			return nil
		})
		if err != nil {
			k.mu.Lock()
			k.folded = append(k.folded, ids[start:]...)
			k.mu.Unlock()
			return err
		}
	}
	return nil
}

func keyRowIDs(rows []keyRow) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	return ids
}

// foldCommitted runs between a fold's commit and its keys leaving recent;
// a test makes a repeat arrive there.
var foldCommitted = func() {}

// remember notes keys written in a transaction not yet committed; see the
// comment at the top.
func (k *eventKeys) remember(keys []eventKey, ids []string) {
	k.mu.Lock()
	for i, key := range keys {
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
		} else {
			rest = append(rest, key)
		}
	}
	k.mu.Unlock()
	if len(candidates) > 0 {
		rows, err := queryAll(ctx, t.tx, `SELECT event_id, webhook_id, provider_event_id FROM webhook_event_keys_recent
			WHERE event_id IN (SELECT value FROM json_each(?))`, scanKeyRow, jsonList(ids))
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
		args := make([]any, 0, 2*len(chunk))
		for _, key := range chunk {
			args = append(args, key.webhook, key.provider)
		}
		rows, err := queryAll(ctx, t.tx, keyLookup(len(chunk)), scanKeyRow, args...)
		if err != nil {
			return nil, fmt.Errorf("look up event keys: %w", mapErr(err))
		}
		for _, r := range rows {
			found[r.key] = r.id
		}
	}
	return found, nil
}

// keyRow is a row of either key table: the key and its event's id.
type keyRow struct {
	key eventKey
	id  string
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
		args := make([]any, 0, 8*len(chunk))
		for _, e := range chunk {
			args = append(args, e.ID, e.OrgID, e.WebhookID, nullStr(e.ProviderEventID), e.Headers, e.Body, e.SourceIP, e.ReceivedAt.UnixMilli())
		}
		query := multiRow(`INSERT INTO webhook_events (id, org_id, webhook_id, provider_event_id, headers, body, source_ip, received_at)`, len(chunk), 8)
		if _, err := t.tx.ExecContext(ctx, query, args...); err != nil {
			return nil, fmt.Errorf("insert events: %w", mapErr(err))
		}
	}
	if len(newKeys) == 0 {
		return inserted, nil
	}
	t.s.keys.remember(newKeys, newIDs)
	for start := 0; start < len(newKeys); start += eventRowsPerInsert {
		end := min(start+eventRowsPerInsert, len(newKeys))
		args := make([]any, 0, 3*(end-start))
		for i := start; i < end; i++ {
			args = append(args, newIDs[i], newKeys[i].webhook, newKeys[i].provider)
		}
		query := multiRow(`INSERT INTO webhook_event_keys_recent (event_id, webhook_id, provider_event_id)`, end-start, 3)
		if _, err := t.tx.ExecContext(ctx, query, args...); err != nil {
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
