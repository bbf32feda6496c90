package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The lookup of stored keys must go by the primary key: a plan that scans
// webhook_event_keys costs a pass over every key ever received for each
// batch of events.
func TestKeyLookupUsesThePrimaryKey(t *testing.T) {
	s := sqliteStore(t)
	text := queryPlan(t, s, keyLookup(3), "w", "a", "w", "b", "x", "c")
	if !strings.Contains(text, "SEARCH k USING PRIMARY KEY (webhook_id=? AND provider_event_id=?)") || strings.Contains(text, "SCAN k") {
		t.Fatalf("the key lookup does not go by the primary key:\n%s", text)
	}
	text = queryPlan(t, s, hashLookup(3), 1, 2, 3)
	if !strings.Contains(text, "SEARCH k USING INTEGER PRIMARY KEY (rowid=?)") || !strings.Contains(text, "SEARCH e USING INDEX sqlite_autoindex_webhook_events_1 (id=?)") ||
		strings.Contains(text, "SCAN k") || strings.Contains(text, "SCAN e") {
		t.Fatalf("the hash lookup does not go by the hashes' and the events' keys:\n%s", text)
	}
}

// The fold's copy asks the index of event ids alone whether an event is
// stored: reading the events' rows read a page of bodies per key. A start
// reads the keys of the last seconds' events through that index, not all
// events.
func TestTheFoldReadsOnlyTheIndexOfEventIDs(t *testing.T) {
	s := sqliteStore(t)
	text := queryPlan(t, s, foldInsert(2), 1, "evt_1", 2, "evt_2")
	if !strings.Contains(text, "SEARCH e EXISTS USING COVERING INDEX sqlite_autoindex_webhook_events_1 (id=?)") {
		t.Fatalf("the fold does not read the covering index of event ids:\n%s", text)
	}
	text = queryPlan(t, s, recentKeys, "evt_1")
	if !strings.Contains(text, "SEARCH webhook_events USING INDEX sqlite_autoindex_webhook_events_1 (id>?)") {
		t.Fatalf("a start does not read the recent events through the index of event ids:\n%s", text)
	}
}

// queryPlan is SQLite's plan for query, a step a line.
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.w.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "\n")
}

// A repeat that arrives after a fold moved its key but before the key left
// the memory of recent keys is still a repeat: the recent entry is not
// confirmed, and the folded table has the key.
func TestARepeatBetweenAFoldAndItsCleanupIsARepeat(t *testing.T) {
	ctx := context.Background()
	s, w, _ := foldStore(t)
	event := func() Event {
		return keyEvent(w, "d-1", time.Now())
	}
	first := event()
	if inserted, err := s.InsertEvents(ctx, []Event{first}); err != nil || !inserted[0] {
		t.Fatalf("first delivery: %v, %v", inserted, err)
	}
	var checked bool
	foldCommitted = func() {
		foldCommitted, checked = func() {}, true
		if inserted, err := s.InsertEvents(ctx, []Event{event()}); err != nil || inserted[0] {
			t.Errorf("a repeat right after the fold committed: inserted %v, %v", inserted, err)
		}
		if id, err := s.EventIDByProviderID(ctx, w.ID, "d-1"); err != nil || id != first.ID {
			t.Errorf("the repeat names %q, %v; want %s", id, err, first.ID)
		}
	}
	defer func() { foldCommitted = func() {} }()
	if err := s.FoldEventKeys(ctx); err != nil || !checked {
		t.Fatalf("fold: %v (repeat checked: %v)", err, checked)
	}
}

// With no key waiting, the mark still moves on (a minute at a time): it
// bounds the events a start reads, and events without a key would
// otherwise leave it where it was and have every start read them all.
func TestTheMarkMovesOnWithNothingToFold(t *testing.T) {
	ctx := context.Background()
	s, w, reopen := foldStore(t)
	s, _ = markedAgo(t, s, 10*time.Minute, reopen)
	if _, err := s.InsertEvents(ctx, []Event{keyEvent(w, "", time.Now())}); err != nil {
		t.Fatal(err)
	}
	before := time.Now().UnixMilli()
	if err := s.FoldEventKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if mark := storedMark(t, s); mark < before {
		t.Fatalf("the mark is %s after a fold with nothing to fold; want now", time.UnixMilli(mark))
	}
}

// An event whose request came in before a fold but whose batch commits
// after it has an id older than the fold's mark. Its key is written at
// once: a restart before the next fold reads back only the events from
// shortly before the mark, and would not find it.
func TestAnEventOlderThanTheMarkKeepsItsKeyThroughARestart(t *testing.T) {
	ctx := context.Background()
	s, w, reopen := foldStore(t)
	// The fold needs a key to fold to store its mark.
	if _, err := s.InsertEvents(ctx, []Event{keyEvent(w, "d-0", time.Now())}); err != nil {
		t.Fatal(err)
	}
	if err := s.FoldEventKeys(ctx); err != nil {
		t.Fatal(err)
	}
	late := keyEvent(w, "d-1", time.Now().Add(-2*time.Minute))
	if inserted, err := s.InsertEvents(ctx, []Event{late}); err != nil || !inserted[0] {
		t.Fatalf("the late event: %v, %v", inserted, err)
	}
	s = reopen()
	if inserted, err := s.InsertEvents(ctx, []Event{keyEvent(w, "d-1", time.Now())}); err != nil || inserted[0] {
		t.Fatalf("a repeat of the late event after a restart: inserted %v, %v", inserted, err)
	}
	if id, err := s.EventIDByProviderID(ctx, w.ID, "d-1"); err != nil || id != late.ID {
		t.Fatalf("the repeat names %q, %v; want %s", id, err, late.ID)
	}
}

// A fold stores its mark only once its keys are copied. Were the mark
// stored first, a restart after a fold that failed would read back the
// events from shortly before the new mark alone, and miss the keys of
// older events the fold did not copy.
func TestAFoldThatFailsKeepsTheMarkWhereItWas(t *testing.T) {
	ctx := context.Background()
	s, w, reopen := foldStore(t)
	s, tenMinutesAgo := markedAgo(t, s, 10*time.Minute, reopen)
	var events []Event
	for _, key := range []string{"d-3", "d-1", "d-2"} {
		at := time.Now().Add(-5 * time.Minute)
		events = append(events, keyEvent(w, key, at))
	}
	if _, err := s.InsertEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.FoldEventKeys(cancelled); err == nil {
		t.Fatal("a fold with a cancelled context did not fail")
	}
	s = reopen()
	if mark := storedMark(t, s); mark != tenMinutesAgo.UnixMilli() {
		t.Fatalf("the mark is %d after a failed fold; want %d", mark, tenMinutesAgo.UnixMilli())
	}
	for _, e := range events {
		if inserted, err := s.InsertEvents(ctx, []Event{keyEvent(w, e.ProviderEventID, time.Now())}); err != nil || inserted[0] {
			t.Fatalf("a repeat of %s after the failed fold and a restart: inserted %v, %v", e.ProviderEventID, inserted, err)
		}
	}
}

// A database from before migration 0021 holds the keys not yet folded in
// webhook_event_keys_recent. The upgrade folds them: the events' ids are
// older than the mark it sets, so reading the events back after it would
// not find them.
func TestTheUpgradeFoldsTheKeysOfTheRecentTable(t *testing.T) {
	ctx := context.Background()
	s, w, reopen := foldStore(t)
	hourAgo := time.Now().Add(-time.Hour)
	e := keyEvent(w, "d-1", hourAgo)
	s.keys.markMS = hourAgo.Add(-time.Minute).UnixMilli() // the key waits for the fold, as before the upgrade
	if _, err := s.InsertEvents(ctx, []Event{e}); err != nil {
		t.Fatal(err)
	}
	// The schema as 0020 left it, with the key where that version put it.
	for _, stmt := range []string{
		`CREATE TABLE webhook_event_keys_recent (event_id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, provider_event_id TEXT NOT NULL) WITHOUT ROWID`,
		`INSERT INTO webhook_event_keys_recent VALUES ('` + e.ID + `', '` + w.ID + `', 'd-1')`,
		`DROP TABLE webhook_event_keys_mark`,
		`DELETE FROM schema_migrations WHERE version = 21`,
	} {
		if _, err := s.w.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	s = reopen()
	if inserted, err := s.InsertEvents(ctx, []Event{keyEvent(w, "d-1", time.Now())}); err != nil || inserted[0] {
		t.Fatalf("a repeat of a key the old recent table held, after the upgrade: inserted %v, %v", inserted, err)
	}
}

// New keys are not looked up in webhook_event_keys once the filter has
// read that table, and the keys the filter holds are found again: those
// folded, those written at once, and after a restart those the table
// holds.
func TestTheKeyFilterSparesTheLookupOfNewKeys(t *testing.T) {
	ctx := context.Background()
	s, w, reopen := foldStore(t)
	store := func(key string, at time.Time) bool {
		t.Helper()
		inserted, err := s.InsertEvents(ctx, []Event{keyEvent(w, key, at)})
		if err != nil {
			t.Fatal(err)
		}
		return inserted[0]
	}
	lookups := func() int {
		s.keys.mu.Lock()
		defer s.keys.mu.Unlock()
		return s.keys.lookups
	}
	repeats := func(when string) {
		t.Helper()
		for _, key := range []string{"d-1", "d-2", "d-3"} {
			if store(key, time.Now()) {
				t.Fatalf("%s: a repeat of %s was stored", when, key)
			}
		}
	}
	<-s.keys.filled
	if !store("d-1", time.Now()) || !store("d-2", time.Now()) {
		t.Fatal("first deliveries were not stored")
	}
	if err := s.FoldEventKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if !store("d-3", time.Now().Add(-2*time.Minute)) { // older than the mark: written at once
		t.Fatal("d-3 was not stored")
	}
	repeats("before a restart")

	s = reopen()
	<-s.keys.filled
	before := lookups()
	for i := range 200 {
		if !store(fmt.Sprintf("n-%d", i), time.Now()) {
			t.Fatalf("new key n-%d was taken for a repeat", i)
		}
	}
	if n := lookups() - before; n > 20 {
		t.Fatalf("%d of 200 new keys were looked up in the table; the filter should spare about 1%%", n)
	}
	repeats("after a restart")
}

// The filter keeps the keys of events that are gone (a deleted webhook,
// retention) until it is built again from the table, which happens once
// more keys were added to it than its fill read. Keys written while a new
// filter fills go into both.
func TestTheKeyFilterIsBuiltAgainFromTheTable(t *testing.T) {
	defer func(first uint) { keyFilterFirst = first }(keyFilterFirst)
	keyFilterFirst = 4
	ctx := context.Background()
	s, w, _ := foldStore(t)
	<-s.keys.filled
	gone, err := s.CreateWebhook(ctx, Webhook{ID: NewWebhookID(), OrgID: w.OrgID, Name: "gone", Source: "github", Secret: "sealed"})
	if err != nil {
		t.Fatal(err)
	}
	store := func(w Webhook, key string) {
		t.Helper()
		if inserted, err := s.InsertEvents(ctx, []Event{keyEvent(w, key, time.Now())}); err != nil || !inserted[0] {
			t.Fatalf("%s: inserted %v, %v", key, inserted, err)
		}
	}
	for i := range 10 {
		store(gone, fmt.Sprintf("g-%d", i))
	}
	if err := s.FoldEventKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, w.OrgID, gone.ID); err != nil {
		t.Fatal(err)
	}
	store(w, "d-1")
	store(w, "d-2")
	if err := s.FoldEventKeys(ctx); err != nil {
		t.Fatal(err)
	}
	s.refillKeyFilter(ctx)

	k := s.keys
	k.mu.Lock()
	read, maybe := k.filter.read, 0
	for i := range 10 {
		if k.filter.mayHold(keyHash(eventKey{gone.ID, fmt.Sprintf("g-%d", i)})) {
			maybe++
		}
	}
	// A key written while the next filter fills goes into it too.
	k.next = &keyFilter{ready: true}
	k.filterKeys(keyHash(eventKey{w.ID, "d-3"}))
	inNext := k.next.mayHold(keyHash(eventKey{w.ID, "d-3"}))
	k.next = nil
	k.mu.Unlock()
	if read != 2 {
		t.Fatalf("the new filter read %d keys; want the 2 the table holds", read)
	}
	if maybe > 2 {
		t.Fatalf("the new filter may hold %d of the 10 keys the deleted webhook took with it", maybe)
	}
	if !inNext {
		t.Fatal("a key written during a fill is not in the filter being filled")
	}
	for _, key := range []string{"d-1", "d-2"} {
		if inserted, err := s.InsertEvents(ctx, []Event{keyEvent(w, key, time.Now())}); err != nil || inserted[0] {
			t.Fatalf("a repeat of %s after the filter was built again: inserted %v, %v", key, inserted, err)
		}
	}
}

// sqliteStore opens a SQLite store in a folder of its own, closed when
// the test ends.
func sqliteStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// keyEvent is an event of w received at at, carrying the provider id key.
func keyEvent(w Webhook, key string, at time.Time) Event {
	return Event{ID: EventIDAt(at), OrgID: w.OrgID, WebhookID: w.ID, ProviderEventID: key, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: at}
}

// setMark stores at as the time of the last fold, as if it had been then.
func setMark(t *testing.T, s *Store, at time.Time) {
	t.Helper()
	if _, err := s.w.Exec(`UPDATE webhook_event_keys_mark SET folded_ms = ?`, at.UnixMilli()); err != nil {
		t.Fatal(err)
	}
}

// markedAgo stores a last fold ago before now and restarts s, so that the
// store starts from that mark; it returns the new store and the mark.
func markedAgo(t *testing.T, s *Store, ago time.Duration, reopen func() *Store) (*Store, time.Time) {
	t.Helper()
	at := time.Now().Add(-ago)
	setMark(t, s, at)
	return reopen(), at
}

// storedMark is the time of the last fold as the table has it (Unix ms).
func storedMark(t *testing.T, s *Store) int64 {
	t.Helper()
	var mark int64
	if err := s.w.QueryRow(`SELECT folded_ms FROM webhook_event_keys_mark`).Scan(&mark); err != nil {
		t.Fatal(err)
	}
	return mark
}

// foldStore opens a SQLite store, closed when the test ends, with a
// webhook (of an organization of its own) whose events' keys the tests
// fold; reopen closes the store and opens it again, as a restart does.
func foldStore(t *testing.T) (s *Store, w Webhook, reopen func() *Store) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *Store {
		t.Helper()
		var err error
		if s, err = Open(ctx, "", dir); err != nil {
			t.Fatal(err)
		}
		return s
	}
	open()
	t.Cleanup(func() { s.Close() })
	org, _, err := s.CreateOrg(ctx, Org{Name: "Acme", Plan: "growth"}, User{Email: "fold@example.com", Name: "Ada"}, "bootstrap", "pb_abc", "hash")
	if err != nil {
		t.Fatal(err)
	}
	w, err = s.CreateWebhook(ctx, Webhook{ID: NewWebhookID(), OrgID: org.ID, Name: "fold", Source: "github", Secret: "sealed"})
	if err != nil {
		t.Fatal(err)
	}
	return s, w, func() *Store {
		s.Close()
		return open()
	}
}

// Keys that share a hash are each kept, whichever way they are written
// (folded, or written at once by their batch), each is found as its own
// event's, and deleting one event forgets its key only.
func TestKeysThatShareAHashAreEachKept(t *testing.T) {
	ctx := context.Background()
	s, w, _ := foldStore(t)
	saved := keyHash
	keyHash = func(k eventKey) int64 {
		switch {
		case strings.HasPrefix(k.provider, "c-"):
			return 42
		case strings.HasPrefix(k.provider, "x-"):
			return 43
		}
		return saved(k)
	}
	t.Cleanup(func() { keyHash = saved })
	fold := func() {
		t.Helper()
		if err := s.FoldEventKeys(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e1, e2 := keyEvent(w, "c-1", time.Now()), keyEvent(w, "c-2", time.Now())
	mustStore(t, s, e1)
	fold()
	mustStore(t, s, e2) // its hash names c-1's event: not a repeat
	fold()
	e3 := keyEvent(w, "c-3", time.Now().Add(-time.Hour)) // older than the mark: written at once
	mustStore(t, s, e3)
	e4, e5 := keyEvent(w, "x-1", time.Now()), keyEvent(w, "x-2", time.Now()) // a hash of their own, in one fold
	mustStore(t, s, e4)
	mustStore(t, s, e5)
	fold()
	for key, id := range map[string]string{"c-1": e1.ID, "c-2": e2.ID, "c-3": e3.ID, "x-1": e4.ID, "x-2": e5.ID} {
		if inserted, err := s.InsertEvents(ctx, []Event{keyEvent(w, key, time.Now())}); err != nil || inserted[0] {
			t.Fatalf("a repeat of %s was inserted (%v, %v)", key, inserted, err)
		}
		if got, err := s.EventIDByProviderID(ctx, w.ID, key); err != nil || got != id {
			t.Fatalf("%s names %q, %v; want %s", key, got, err, id)
		}
	}
	if _, err := s.w.Exec(`DELETE FROM webhook_events WHERE id = ?`, e1.ID); err != nil {
		t.Fatal(err)
	}
	mustStore(t, s, keyEvent(w, "c-1", time.Now())) // forgotten with its event
	for _, key := range []string{"c-2", "c-3", "x-1", "x-2"} {
		if inserted, err := s.InsertEvents(ctx, []Event{keyEvent(w, key, time.Now())}); err != nil || inserted[0] {
			t.Fatalf("a repeat of %s was inserted after another key's event was deleted (%v, %v)", key, inserted, err)
		}
	}
}

// Keys folded before the hashes were kept stay in webhook_event_keys, and
// are found and forgotten there as before.
func TestAKeyOfTheOlderTableIsStillFound(t *testing.T) {
	ctx := context.Background()
	s, w, reopen := foldStore(t)
	e := keyEvent(w, "d-1", time.Now())
	mustStore(t, s, e)
	if err := s.FoldEventKeys(ctx); err != nil {
		t.Fatal(err)
	}
	// As an upgrade leaves it: the key in the older table, the event
	// without a hash.
	for _, stmt := range []string{
		`DELETE FROM webhook_event_key_hashes`,
		`UPDATE webhook_events SET key_hash = NULL`,
		`INSERT INTO webhook_event_keys (webhook_id, provider_event_id, event_id) VALUES ('` + w.ID + `', 'd-1', '` + e.ID + `')`,
	} {
		if _, err := s.w.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	setMark(t, s, time.Now().Add(time.Minute)) // nothing read back into memory
	s = reopen()
	<-s.keys.filled
	if inserted, err := s.InsertEvents(ctx, []Event{keyEvent(w, "d-1", time.Now())}); err != nil || inserted[0] {
		t.Fatalf("a repeat of a key in the older table was inserted (%v, %v)", inserted, err)
	}
	if _, err := s.w.Exec(`DELETE FROM webhook_events WHERE id = ?`, e.ID); err != nil {
		t.Fatal(err)
	}
	if inserted, err := s.InsertEvents(ctx, []Event{keyEvent(w, "d-1", time.Now())}); err != nil || !inserted[0] {
		t.Fatalf("a key in the older table was not forgotten with its event (%v, %v)", inserted, err)
	}
}

// An event written before its key's hash was kept with it, whose key a
// start reads back and folds by its hash, is given the hash, so that
// deleting it forgets the key there too.
func TestAnEventFromBeforeTheHashesGetsItsHashAtStart(t *testing.T) {
	ctx := context.Background()
	s, w, reopen := foldStore(t)
	e := keyEvent(w, "d-1", time.Now())
	mustStore(t, s, e)
	if _, err := s.w.Exec(`UPDATE webhook_events SET key_hash = NULL`); err != nil {
		t.Fatal(err)
	}
	s = reopen() // reads d-1 back: its event is recent
	if err := s.FoldEventKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`DELETE FROM webhook_events WHERE id = ?`, e.ID); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.w.QueryRow(`SELECT COUNT(*) FROM webhook_event_key_hashes`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d hashes left after their event was deleted, %v", left, err)
	}
}

// mustStore stores events that must each be new.
func mustStore(t *testing.T, s *Store, events ...Event) {
	t.Helper()
	inserted, err := s.InsertEvents(context.Background(), events)
	if err != nil {
		t.Fatal(err)
	}
	for i, ok := range inserted {
		if !ok {
			t.Fatalf("%s was not stored", events[i].ProviderEventID)
		}
	}
}

// An event whose webhook was deleted while it was on its way is left out
// of its batch, and only it: in a batch of that webhook's events alone and
// in one that mixes them with a live webhook's.
func TestEventsOfADeletedWebhookAreLeftOutOfTheirBatch(t *testing.T) {
	ctx := context.Background()
	s, w, _ := foldStore(t)
	gone, err := s.CreateWebhook(ctx, Webhook{ID: NewWebhookID(), OrgID: w.OrgID, Name: "gone", Source: "github", Secret: "sealed"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, w.OrgID, gone.ID); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, tc := range []struct {
		name   string
		events []Event
		want   []bool
	}{
		{"the deleted webhook's alone", []Event{keyEvent(gone, "g-1", now), keyEvent(gone, "", now)}, []bool{false, false}},
		{"the live webhook's alone", []Event{keyEvent(w, "l-1", now), keyEvent(w, "", now)}, []bool{true, true}},
		{"both", []Event{keyEvent(gone, "g-2", now), keyEvent(w, "l-2", now), keyEvent(gone, "", now), keyEvent(w, "", now)}, []bool{false, true, false, true}},
	} {
		inserted, err := s.InsertEvents(ctx, tc.events)
		if err != nil || !slices.Equal(inserted, tc.want) {
			t.Errorf("%s: inserted %v, %v; want %v", tc.name, inserted, err, tc.want)
		}
		for i, e := range tc.events {
			_, err := s.GetEvent(ctx, w.OrgID, e.ID)
			if stored := err == nil; stored != tc.want[i] {
				t.Errorf("%s: event %d stored %v (%v), want %v", tc.name, i, stored, err, tc.want[i])
			}
		}
	}
}
