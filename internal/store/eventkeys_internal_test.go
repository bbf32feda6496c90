package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The lookup of stored keys must go by the primary key: a plan that scans
// webhook_event_keys costs a pass over every key ever received for each
// batch of events.
func TestKeyLookupUsesThePrimaryKey(t *testing.T) {
	s, err := Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text := queryPlan(t, s, keyLookup(3), "w", "a", "w", "b", "x", "c")
	if !strings.Contains(text, "SEARCH k USING PRIMARY KEY (webhook_id=? AND provider_event_id=?)") || strings.Contains(text, "SCAN k") {
		t.Fatalf("the key lookup does not go by the primary key:\n%s", text)
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
	s, org, w := foldStore(t)
	event := func() Event {
		return Event{ID: NewEventID(), OrgID: org.ID, WebhookID: w.ID, ProviderEventID: "d-1", Headers: `{}`, Body: []byte(`{}`), ReceivedAt: time.Now()}
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

// A fold copies keys first and deletes them from the recent table after.
// When the delete fails, the keys stay found, and the next fold deletes
// them: the recent table does not keep rows its memory has forgotten.
func TestAFoldWhoseDeleteFailedIsFinishedByTheNext(t *testing.T) {
	ctx := context.Background()
	s, org, w := foldStore(t)
	var events []Event
	for _, key := range []string{"d-3", "d-1", "d-2"} {
		events = append(events, Event{ID: NewEventID(), OrgID: org.ID, WebhookID: w.ID, ProviderEventID: key, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: time.Now()})
	}
	if _, err := s.InsertEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	count := func(table string) int {
		t.Helper()
		var n int
		if err := s.w.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The copy commits; the delete then meets a cancelled context.
	foldCtx, cancel := context.WithCancel(ctx)
	foldCommitted = cancel
	defer func() { foldCommitted = func() {} }()
	if err := s.FoldEventKeys(foldCtx); err == nil {
		t.Fatal("the fold's delete did not fail")
	}
	foldCommitted = func() {}
	if n := count("webhook_event_keys"); n != 3 {
		t.Fatalf("%d keys folded, want 3", n)
	}
	for _, e := range events {
		if inserted, err := s.InsertEvents(ctx, []Event{{ID: NewEventID(), OrgID: org.ID, WebhookID: w.ID, ProviderEventID: e.ProviderEventID, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: time.Now()}}); err != nil || inserted[0] {
			t.Fatalf("a repeat of %s after the failed delete: inserted %v, %v", e.ProviderEventID, inserted, err)
		}
	}
	if err := s.FoldEventKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count("webhook_event_keys_recent"); n != 0 {
		t.Fatalf("%d rows left in the recent table after the next fold", n)
	}
}

// foldStore opens a SQLite store, closed when the test ends, with an
// organization and a webhook whose events' keys the tests fold.
func foldStore(t *testing.T) (*Store, Org, Webhook) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	org, _, err := s.CreateOrg(ctx, Org{Name: "Acme", Plan: "growth"}, User{Email: "fold@example.com", Name: "Ada"}, "bootstrap", "pb_abc", "hash")
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.CreateWebhook(ctx, Webhook{ID: NewWebhookID(), OrgID: org.ID, Name: "fold", Source: "github", Secret: "sealed"})
	if err != nil {
		t.Fatal(err)
	}
	return s, org, w
}
