package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func TestWebhooksAndEvents(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, _ := newOrg(t, s, "hooks@example.com")
		other, _ := newOrg(t, s, "other@example.com")
		w, err := s.CreateWebhook(ctx, store.Webhook{ID: store.NewWebhookID(), OrgID: org.ID, Name: "Stripe", Source: "stripe",
			Secret: "sealed-1", AllowedIPs: []string{"10.0.0.0/8"},
			Triggers: []store.Trigger{{ID: store.NewTriggerID(), Spec: []byte(`{"url":"https://example.com"}`)}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(w.ID) < 30 {
			t.Fatalf("webhook id %q is too short to be unguessable", w.ID)
		}
		if _, err := s.GetWebhook(ctx, other.ID, w.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other org sees the webhook: %v", err)
		}
		got, err := s.GetWebhookForIngest(ctx, w.ID)
		if err != nil || got.OrgID != org.ID || len(got.Triggers) != 1 || got.AllowedIPs[0] != "10.0.0.0/8" {
			t.Fatalf("ingest view = %+v, %v", got, err)
		}
		trigger := got.Triggers[0].ID

		// Events and their runs commit together; a repeated provider id
		// stores nothing, even within the same transaction.
		now := time.Now()
		e1 := store.Event{ID: store.NewEventID(), OrgID: org.ID, WebhookID: w.ID, ProviderEventID: "evt_1", Headers: `{}`, Body: []byte{0, 1, 2, 255}, SourceIP: "10.0.0.1", ReceivedAt: now}
		e2 := e1
		e2.ID = store.NewEventID()
		e3 := store.Event{ID: store.NewEventID(), OrgID: org.ID, WebhookID: w.ID, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: now}
		e4 := e3
		e4.ID = store.NewEventID() // no provider id: never a duplicate
		run := store.TriggerRun{ID: store.NewRunID(), OrgID: org.ID, WebhookID: w.ID, EventID: e1.ID, TriggerID: trigger, CreatedAt: now}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			inserted, err := tx.InsertEvents(ctx, []store.Event{e1, e2, e3, e4})
			if err != nil {
				return err
			}
			for i, ok := range inserted {
				if ok != (i != 1) {
					t.Errorf("event %d of the batch inserted = %v", i, ok)
				}
			}
			return tx.InsertTriggerRuns(ctx, []store.TriggerRun{run})
		})
		if err != nil {
			t.Fatal(err)
		}
		// What a node hands its own trigger job from memory is what the job
		// would read back (trigger.Handoff).
		handed, handedEvents, err := s.RunsForWork(ctx, []string{run.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := handed[run.ID], run.AsInserted(); !reflect.DeepEqual(got, want) {
			t.Errorf("run read back as\n%+v\nnot as inserted\n%+v", got, want)
		}
		if got, want := handedEvents[e1.ID], e1.AsStored(); !reflect.DeepEqual(got, want) {
			t.Errorf("event read back as\n%+v\nnot as stored\n%+v", got, want)
		}
		// One at a time, as a replay stores it: the repeat is still refused.
		e5 := e1
		e5.ID = store.NewEventID()
		err = s.InTx(ctx, func(tx *store.Tx) error {
			inserted, err := tx.InsertEvent(ctx, e5)
			if err == nil && inserted {
				t.Error("a provider event id stored by an earlier batch was stored again")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Events that start no runs are stored without a transaction of
		// the caller's, with the same answer.
		w2, err := s.CreateWebhook(ctx, store.Webhook{ID: store.NewWebhookID(), OrgID: org.ID, Name: "GitHub", Source: "github", Secret: "sealed-2"})
		if err != nil {
			t.Fatal(err)
		}
		e6 := store.Event{ID: store.NewEventID(), OrgID: org.ID, WebhookID: w2.ID, ProviderEventID: "evt_6", Headers: `{}`, Body: []byte(`{}`), ReceivedAt: now}
		e6again, e7 := e6, e6
		e6again.ID, e7.ID, e7.ProviderEventID = store.NewEventID(), store.NewEventID(), "evt_7"
		if inserted, err := s.InsertEvents(ctx, []store.Event{e6}); err != nil || !inserted[0] {
			t.Fatalf("events alone: inserted = %v, %v", inserted, err)
		}
		if inserted, err := s.InsertEvents(ctx, []store.Event{e6again, e7}); err != nil || inserted[0] || !inserted[1] {
			t.Fatalf("events alone: inserted = %v, %v; want the repeat of evt_6 left out and evt_7 stored", inserted, err)
		}
		if id, err := s.EventIDByProviderID(ctx, w2.ID, "evt_6"); err != nil || id != e6.ID {
			t.Fatalf("evt_6 = %q, %v", id, err)
		}
		if id, err := s.EventIDByProviderID(ctx, w.ID, "evt_1"); err != nil || id != e1.ID {
			t.Fatalf("duplicate lookup = %q, %v", id, err)
		}
		stored, err := s.GetEvent(ctx, org.ID, e1.ID)
		if err != nil || string(stored.Body) != string(e1.Body) || len(stored.Runs) != 1 || stored.Runs[0].Status != store.RunPending {
			t.Fatalf("stored event = %+v, %v", stored, err)
		}

		// Attempts and the dead-letter list.
		err = s.InTx(ctx, func(tx *store.Tx) error {
			return tx.RecordAttempt(ctx, run.ID, store.Attempt{Status: "failed", HTTPStatus: 400, Error: "bad", StartedAt: now}, store.RunDead, time.Time{})
		})
		if err != nil {
			t.Fatal(err)
		}
		dead, err := s.ListEvents(ctx, org.ID, w.ID, store.EventFilter{Status: store.RunDead})
		if err != nil || len(dead) != 1 || dead[0].ID != e1.ID || len(dead[0].Body) != 0 {
			t.Fatalf("dead events = %+v, %v", dead, err)
		}
		all, err := s.ListEvents(ctx, org.ID, w.ID, store.EventFilter{Limit: 2})
		if err != nil || len(all) != 2 || all[0].ID != e4.ID {
			t.Fatalf("newest page = %+v, %v", all, err)
		}
		older, err := s.ListEvents(ctx, org.ID, w.ID, store.EventFilter{Before: all[1].ID})
		if err != nil || len(older) != 1 || older[0].ID != e1.ID {
			t.Fatalf("next page = %+v, %v", older, err)
		}
		var replayed []string
		err = s.InTx(ctx, func(tx *store.Tx) error {
			replayed, err = tx.ReplayRuns(ctx, org.ID, []string{run.ID})
			return err
		})
		if err != nil || len(replayed) != 1 {
			t.Fatalf("replay = %v, %v", replayed, err)
		}
		r, _, err := s.RunForWork(ctx, run.ID)
		if err != nil || r.Status != store.RunPending || r.Attempts != 0 || r.Replays != 1 {
			t.Fatalf("replayed run = %+v, %v", r, err)
		}
		// A batch's runs are read together with their events; a run that
		// is gone is simply absent.
		runs, events, err := s.RunsForWork(ctx, []string{run.ID, store.NewRunID()})
		if err != nil || len(runs) != 1 || runs[run.ID].Replays != 1 || string(events[e1.ID].Body) != string(e1.Body) {
			t.Fatalf("runs for work = %+v, events %+v, %v", runs, events, err)
		}
		// Settling a run records its attempt, numbered after the earlier
		// ones, and its status together.
		if err := s.SettleRun(ctx, run.ID, store.Attempt{Status: "succeeded", HTTPStatus: 201, LogID: "log_1", StartedAt: now}, store.RunSucceeded, time.Time{}); err != nil {
			t.Fatal(err)
		}
		settled, err := s.GetEvent(ctx, org.ID, e1.ID)
		if err != nil || len(settled.Runs) != 1 || settled.Runs[0].Status != store.RunSucceeded || settled.Runs[0].Attempts != 1 || settled.Runs[0].LastStatus != 201 {
			t.Fatalf("settled run = %+v, %v", settled.Runs, err)
		}
		if h := settled.Runs[0].History; len(h) != 2 || h[1].Number != 2 || h[1].Status != "succeeded" || h[1].LogID != "log_1" {
			t.Fatalf("attempts after settling = %+v", h)
		}
		if err := s.SettleRun(ctx, store.NewRunID(), store.Attempt{Status: "failed", StartedAt: now}, store.RunDead, time.Time{}); err == nil {
			t.Fatal("settling a run that does not exist succeeded")
		}

		// Key rotation reaches both sealed secret columns.
		if err := s.RotateWebhookSecret(ctx, org.ID, w.ID, "sealed-2", "sealed-1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		if _, err := s.ResealSecrets(ctx, func(rowID, sealed string) (string, bool, error) {
			if rowID == w.ID {
				seen[sealed] = true
			}
			return sealed, false, nil
		}); err != nil || !seen["sealed-1"] || !seen["sealed-2"] {
			t.Fatalf("reseal saw %v (%v)", seen, err)
		}
		if err := s.DeleteWebhook(ctx, org.ID, w.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetEvent(ctx, org.ID, e1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("events outlive their webhook: %v", err)
		}
	})
}

// A page of a webhook's events carries each event's runs, oldest first,
// and an event without runs an empty list; a time window keeps the events
// received in it.
func TestAPageOfEventsWithItsRuns(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, _ := newOrg(t, s, "page@example.com")
		trigger := store.Trigger{ID: store.NewTriggerID(), Spec: []byte(`{"url":"https://example.com"}`)}
		w, err := s.CreateWebhook(ctx, store.Webhook{ID: store.NewWebhookID(), OrgID: org.ID, Name: "page", Source: "github", Secret: "sealed", Triggers: []store.Trigger{trigger}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now().Add(-72 * time.Hour).Truncate(time.Second)
		var events []store.Event
		for i := range 5 {
			at := start.Add(time.Duration(i) * time.Hour)
			events = append(events, store.Event{ID: store.EventIDAt(at), OrgID: org.ID, WebhookID: w.ID, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: at})
		}
		// Two runs for the second event, one for the fourth, none for the third.
		var runs []store.TriggerRun
		for _, e := range []store.Event{events[1], events[3], events[1]} {
			runs = append(runs, store.TriggerRun{ID: store.NewRunID(), OrgID: org.ID, WebhookID: w.ID, EventID: e.ID, TriggerID: trigger.ID, CreatedAt: e.ReceivedAt})
		}
		storetest.StoreWithRuns(t, s, events, runs)
		page, err := s.ListEvents(ctx, org.ID, w.ID, store.EventFilter{Since: start.Add(time.Hour), Until: start.Add(4 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 3 || page[0].ID != events[3].ID || page[1].ID != events[2].ID || page[2].ID != events[1].ID {
			t.Fatalf("the window holds events 1 to 3, newest first; got %d: %+v", len(page), page)
		}
		if len(page[0].Runs) != 1 || page[0].Runs[0].ID != runs[1].ID {
			t.Errorf("event 3's runs: %+v", page[0].Runs)
		}
		if page[1].Runs == nil || len(page[1].Runs) != 0 {
			t.Errorf("event 2 has no runs and shows an empty list: %#v", page[1].Runs)
		}
		if len(page[2].Runs) != 2 || page[2].Runs[0].ID != runs[0].ID || page[2].Runs[1].ID != runs[2].ID {
			t.Errorf("event 1's runs, oldest first: %+v", page[2].Runs)
		}
	})
}

// BenchmarkListEvents measures a page of 100 events of a webhook, each
// with a run (the dashboard's Events page, GET /v1/webhooks/{id}/events).
//
//	go test ./internal/store -run '^$' -bench ListEvents
func BenchmarkListEvents(b *testing.B) {
	for _, engine := range []string{store.SQLite, store.Postgres} {
		b.Run(engine, func(b *testing.B) {
			s, org := benchOrg(b, engine)
			ctx := context.Background()
			trigger := store.Trigger{ID: store.NewTriggerID(), Spec: []byte(`{"url":"https://example.com"}`)}
			w, err := s.CreateWebhook(ctx, store.Webhook{ID: store.NewWebhookID(), OrgID: org.ID, Name: "bench", Source: "github", Secret: "sealed", Triggers: []store.Trigger{trigger}})
			if err != nil {
				b.Fatal(err)
			}
			var events []store.Event
			var runs []store.TriggerRun
			for range 1000 {
				e := store.Event{ID: store.NewEventID(), OrgID: org.ID, WebhookID: w.ID, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: time.Now()}
				events = append(events, e)
				runs = append(runs, store.TriggerRun{ID: store.NewRunID(), OrgID: org.ID, WebhookID: w.ID, EventID: e.ID, TriggerID: trigger.ID, CreatedAt: e.ReceivedAt})
			}
			storetest.StoreWithRuns(b, s, events, runs)
			for b.Loop() {
				page, err := s.ListEvents(ctx, org.ID, w.ID, store.EventFilter{Limit: 100})
				if err != nil || len(page) != 100 || len(page[0].Runs) != 1 {
					b.Fatalf("%d events, %v", len(page), err)
				}
			}
		})
	}
}
