package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// A webhook's provider event ids stay unique whatever happened between a
// delivery and its repeat: on SQLite their keys are folded into a table of
// their own, the server restarts, a transaction rolls back, the
// retention job removes the event, the webhook goes.
func TestProviderEventIDsStayUnique(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		dbURL, dir := storetest.Location(t, engine)
		open := func() *store.Store {
			s, err := store.Open(ctx, dbURL, dir)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := open()
		defer func() { s.Close() }()
		org, _ := newOrg(t, s, "keys@example.com")
		w1, w2 := newWebhook(t, s, org, "one"), newWebhook(t, s, org, "two")
		event := func(w store.Webhook, key string, at time.Time) store.Event {
			return store.Event{ID: store.EventIDAt(at), OrgID: org.ID, WebhookID: w.ID, ProviderEventID: key, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: at}
		}
		stored := func(e store.Event) bool {
			t.Helper()
			inserted, err := s.InsertEvents(ctx, []store.Event{e})
			if err != nil {
				t.Fatal(err)
			}
			return inserted[0]
		}
		repeats := func(e store.Event, first string) {
			t.Helper()
			if stored(e) {
				t.Fatalf("a repeat of %s on %s was stored", e.ProviderEventID, e.WebhookID)
			}
			if id, err := s.EventIDByProviderID(ctx, e.WebhookID, e.ProviderEventID); err != nil || id != first {
				t.Fatalf("the repeat of %s names %q, %v; want %s", e.ProviderEventID, id, err, first)
			}
		}
		fold := func() {
			t.Helper()
			if err := s.FoldEventKeys(ctx); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now()

		// Before and after a fold; the same id on another webhook is
		// another event.
		e1 := event(w1, "d-1", now)
		if !stored(e1) || !stored(event(w2, "d-1", now)) {
			t.Fatal("first deliveries were not stored")
		}
		repeats(event(w1, "d-1", now), e1.ID)
		fold()
		repeats(event(w1, "d-1", now), e1.ID)

		// A key written in a transaction that rolled back was never
		// stored: its delivery, sent again, is new, and stays unique.
		rollback := errors.New("roll back")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.InsertEvents(ctx, []store.Event{event(w1, "d-5", now)}); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		e5 := event(w1, "d-5", now)
		if !stored(e5) {
			t.Fatal("a delivery whose first transaction rolled back was taken for a repeat")
		}
		repeats(event(w1, "d-5", now), e5.ID)
		fold()
		repeats(event(w1, "d-5", now), e5.ID)

		// Keys not yet folded when the server stops are found after it
		// starts again.
		e6 := event(w1, "d-6", now)
		if !stored(e6) {
			t.Fatal("d-6 not stored")
		}
		s.Close()
		s = open()
		repeats(event(w1, "d-6", now), e6.ID)
		repeats(event(w1, "d-1", now), e1.ID)

		// Events the retention job removes take their keys with them,
		// folded or not: a late redelivery is stored again.
		old := now.Add(-40 * 24 * time.Hour)
		if !stored(event(w1, "d-7", old)) {
			t.Fatal("d-7 not stored")
		}
		fold()
		if !stored(event(w1, "d-8", old)) {
			t.Fatal("d-8 not stored")
		}
		var rule store.PruneRule
		for _, r := range store.PruneRules {
			if r.Name == "events" {
				rule = r
			}
		}
		if n, err := s.Prune(ctx, rule, org.ID, now.Add(-30*24*time.Hour), 100); err != nil || n != 2 {
			t.Fatalf("pruned %d events, %v; want the 2 old ones", n, err)
		}
		for _, key := range []string{"d-7", "d-8"} {
			if !stored(event(w1, key, now)) {
				t.Fatalf("a redelivery of %s after its event was removed was taken for a repeat", key)
			}
		}
		repeats(event(w1, "d-1", now), e1.ID)

		// A deleted webhook leaves no keys behind.
		if !stored(event(w2, "d-9", now)) {
			t.Fatal("d-9 not stored")
		}
		if err := s.DeleteWebhook(ctx, org.ID, w2.ID); err != nil {
			t.Fatal(err)
		}
		if engine == store.SQLite {
			s.Close()
			db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "plugboard.db")+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var n, hashes int
			err = db.QueryRow(`SELECT (SELECT COUNT(*) FROM webhook_event_keys WHERE webhook_id = ?),
				(SELECT COUNT(*) FROM webhook_event_key_hashes k WHERE NOT EXISTS (SELECT 1 FROM webhook_events e WHERE e.id = k.event_id))`, w2.ID).Scan(&n, &hashes)
			if err != nil || n != 0 || hashes != 0 {
				t.Fatalf("the deleted webhook left %d keys and %d hashes, %v", n, hashes, err)
			}
			s = open()
		}
	})
}

// Deliveries and their repeats from many callers at once, while keys are
// folded: each key is stored once, never twice, never not at all.
func TestProviderEventIDsStayUniqueUnderConcurrentFolds(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	org, _ := newOrg(t, s, "race@example.com")
	w, err := s.CreateWebhook(ctx, store.Webhook{ID: store.NewWebhookID(), OrgID: org.ID, Name: "race", Source: "github", Secret: "sealed"})
	if err != nil {
		t.Fatal(err)
	}
	const keys, senders = 400, 8
	var (
		mu    sync.Mutex
		count = map[string]int{}
		wg    sync.WaitGroup
		stop  = make(chan struct{})
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				if err := s.FoldEventKeys(ctx); err != nil {
					t.Error(err)
				}
			}
		}
	}()
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range keys {
				k := fmt.Sprintf("k-%d", (i+g*7)%keys)
				e := store.Event{ID: store.NewEventID(), OrgID: org.ID, WebhookID: w.ID, ProviderEventID: k, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: time.Now()}
				inserted, err := s.InsertEvents(ctx, []store.Event{e, e})
				if err != nil {
					t.Error(err)
					return
				}
				if inserted[1] {
					t.Errorf("the second copy of %s in one batch was stored", k)
				}
				if inserted[0] {
					mu.Lock()
					count[k]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-done
	for i := range keys {
		if k := fmt.Sprintf("k-%d", i); count[k] != 1 {
			t.Errorf("%s stored %d times", k, count[k])
		}
	}
}

// A webhook takes its events, their runs and the runs' attempts with it,
// and an event that arrives for it afterwards is left out without failing
// the batch it came in: on PostgreSQL no foreign key does either.
func TestEventsGoWithTheirWebhook(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, _ := newOrg(t, s, "gone@example.com")
		hook := func(name string) store.Webhook {
			w, err := s.CreateWebhook(ctx, store.Webhook{ID: store.NewWebhookID(), OrgID: org.ID, Name: name, Source: "github", Secret: "sealed",
				Triggers: []store.Trigger{{ID: store.NewTriggerID(), Spec: []byte(`{"url":"https://example.com"}`)}}})
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		gone, kept := hook("gone"), hook("kept")
		now := time.Now()
		event := func(w store.Webhook, key string) store.Event {
			return store.Event{ID: store.NewEventID(), OrgID: org.ID, WebhookID: w.ID, ProviderEventID: key, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: now}
		}
		e := event(gone, "d-1")
		run := store.TriggerRun{ID: store.NewRunID(), OrgID: org.ID, WebhookID: gone.ID, EventID: e.ID, TriggerID: gone.Triggers[0].ID, CreatedAt: now}
		storetest.StoreWithRuns(t, s, []store.Event{e}, []store.TriggerRun{run})
		if err := s.SettleRun(ctx, run.ID, store.Attempt{Number: 1, Status: "failed", HTTPStatus: 500, StartedAt: now}, store.RunRetrying, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteWebhook(ctx, org.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		count := func(table, column, id string) int {
			var n int
			if err := s.DB().QueryRow(fmt.Sprintf(`SELECT COUNT(*) FROM %s WHERE %s = '%s'`, table, column, id)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count("webhook_events", "webhook_id", gone.ID) + count("trigger_runs", "webhook_id", gone.ID) + count("trigger_attempts", "run_id", run.ID); n != 0 {
			t.Fatalf("%d events, runs and attempts outlived their webhook", n)
		}

		late, other := event(gone, "d-2"), event(kept, "d-2")
		inserted, err := s.InsertEvents(ctx, []store.Event{late, other})
		if err != nil || inserted[0] || !inserted[1] {
			t.Fatalf("a batch with an event of a deleted webhook: inserted %v, %v; want only the other webhook's", inserted, err)
		}
		if n := count("webhook_events", "webhook_id", gone.ID); n != 0 {
			t.Fatalf("an event of a deleted webhook was stored (%d)", n)
		}
		if _, err := s.EventIDByProviderID(ctx, gone.ID, "d-2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the left-out event is found: %v", err)
		}
	})
}

// BenchmarkFoldEventKeys folds the keys of 20,000 events with random
// provider ids (as GitHub's) per iteration into a table that grows with
// every iteration, as a running server's does; ns/op is the fold alone.
//
//	go test ./internal/store -run '^$' -bench FoldEventKeys -benchtime 20x
func BenchmarkFoldEventKeys(b *testing.B) {
	ctx := context.Background()
	s, err := store.Open(ctx, "", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	org, _ := newOrg(b, s, "fold@example.com")
	w, err := s.CreateWebhook(ctx, store.Webhook{ID: store.NewWebhookID(), OrgID: org.ID, Name: "bench", Source: "github", Secret: "sealed"})
	if err != nil {
		b.Fatal(err)
	}
	const perFold, perBatch = 20_000, 50
	body := []byte(`{"action":"opened"}`)
	for b.Loop() {
		b.StopTimer()
		for i := 0; i < perFold; i += perBatch {
			batch := make([]store.Event, perBatch)
			for j := range batch {
				now := time.Now()
				batch[j] = store.Event{ID: store.EventIDAt(now), OrgID: org.ID, WebhookID: w.ID, ProviderEventID: randomGUID(),
					Headers: `{}`, Body: body, ReceivedAt: now}
			}
			if _, err := s.InsertEvents(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if err := s.FoldEventKeys(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perFold), "ns/key")
}

func randomGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// A batch's runs are written with their events and only with them: a
// repeat of a stored delivery, whether stored earlier or earlier in the
// same batch, and an event whose webhook was deleted on its way start no
// run; a new event starts one per matched trigger.
func TestRunsAreWrittenOnlyWithTheirEvents(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		s := storetest.Open(t, engine)
		org, _ := newOrg(t, s, "runs@example.com")
		kept, gone := newWebhook(t, s, org, "kept"), newWebhook(t, s, org, "gone")
		now := time.Now()
		event := func(w store.Webhook, key string) store.Event {
			return store.Event{ID: store.EventIDAt(now), OrgID: org.ID, WebhookID: w.ID, ProviderEventID: key, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: now}
		}
		runsOf := func(e store.Event, triggers ...string) []store.TriggerRun {
			var runs []store.TriggerRun
			for _, tr := range triggers {
				runs = append(runs, store.TriggerRun{ID: store.NewRunID(), OrgID: e.OrgID, WebhookID: e.WebhookID, EventID: e.ID, TriggerID: tr, CreatedAt: now})
			}
			return runs
		}
		if _, err := s.InsertEvents(ctx, []store.Event{event(kept, "seen")}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteWebhook(ctx, org.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		fresh, unkeyed, repeat := event(kept, "new"), event(kept, ""), event(kept, "seen")
		first, again := event(kept, "twice"), event(kept, "twice")
		orphan := event(gone, "late")
		events := []store.Event{fresh, unkeyed, repeat, first, again, orphan}
		var runs []store.TriggerRun
		for _, e := range events {
			runs = append(runs, runsOf(e, "trg_a", "trg_b")...)
		}
		var inserted []bool
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			inserted, err = tx.InsertEventsWithRuns(ctx, events, runs)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		want := []bool{true, true, false, true, false, false}
		for i := range events {
			if inserted[i] != want[i] {
				t.Errorf("event %d (%q on %s) stored = %v, want %v", i, events[i].ProviderEventID, events[i].WebhookID, inserted[i], want[i])
			}
		}
		// Runs are listed by webhook, whether their event is there or not.
		found := map[string]store.TriggerRun{}
		for _, w := range []store.Webhook{kept, gone} {
			listed, err := s.Runs(ctx, org.ID, w.ID, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range listed {
				found[r.ID] = r
			}
		}
		for i, r := range runs {
			got, ok := found[r.ID]
			if ok != want[i/2] {
				t.Errorf("run %s of event %d (%q) written = %v, want %v", r.TriggerID, i/2, events[i/2].ProviderEventID, ok, want[i/2])
			}
			if ok && (got.Status != store.RunPending || got.TriggerID != r.TriggerID || got.EventID != r.EventID) {
				t.Errorf("run %s read back as %+v", r.ID, got)
			}
		}
		if len(found) != 6 {
			t.Errorf("%d runs written, want 6", len(found))
		}
	})
}
