package webhook_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// TestEventsAcceptedTogetherRunAndRetryEachOnTheirOwn sends many events at
// once, so that their runs are written, and first worked, as a batch. Each
// run fails its first attempt and is retried on its own: every run ends
// with exactly two attempts, the API sees each idempotency key exactly
// twice, and a run that cannot succeed dies alone.
func TestEventsAcceptedTogetherRunAndRetryEachOnTheirOwn(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		srv := startServer(t, engine)
		api := newContactsAPI(t)
		integration := deployContacts(t, srv.Client, api)
		wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Together", Source: "stripe",
			Retry: fastRetry(4), Triggers: contactsTrigger(integration)})
		sign := stripeSigner(t, wh.Secret)
		api.setScript(func(key string, n int) (int, http.Header) {
			switch {
			case api.body(key)["name"] == "cus_evt_bad":
				return http.StatusBadRequest, nil
			case n == 1:
				return http.StatusInternalServerError, nil
			}
			return http.StatusCreated, nil
		})
		const events = 40
		ids := make([]string, events)
		var wg sync.WaitGroup
		for i := range events {
			wg.Go(func() {
				name := fmt.Sprintf("evt_%02d", i)
				if i == 7 {
					name = "evt_bad"
				}
				body := paymentEvent(name, "payment_intent.succeeded", "cus_"+name)
				ids[i] = deliver(t, wh.URL, body, sign(body)).ID
			})
		}
		wg.Wait()
		for i, id := range ids {
			e := waitEvent(t, srv.Client, id, settled)
			run := e.Runs[0]
			key := id + ":" + run.TriggerID
			if i == 7 {
				if run.Status != "dead" || run.Attempts != 1 || api.count(key) != 1 {
					t.Errorf("the run the API refuses: %+v, %d deliveries", run, api.count(key))
				}
				continue
			}
			if run.Status != "succeeded" || run.Attempts != 2 || api.count(key) != 2 {
				t.Errorf("event %d: run %+v, %d deliveries; want succeeded after 2 attempts", i, run, api.count(key))
			}
		}
		var batches int
		if err := srv.Server.Store.DB().QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'trigger_runs'`).Scan(&batches); err != nil {
			t.Fatal(err)
		}
		if batches == 0 {
			t.Error("no runs were worked as a batch: the events were not accepted together")
		}
	})
}

// TestALoneEventsRunIsStartedByTheNodeThatWroteIt sends events one at a
// time, as a quiet webhook gets them. Each event's run goes in a batch job
// of one, which takes the run in memory and is started by the node as it
// writes it (its attempt begins as it is created), on PostgreSQL in the
// statement that writes the event, on SQLite in its transaction, instead
// of waiting for the queue's fetch. A job fetched waited for River's
// cooldown: 14 ms of delivery lag at the median with one sender on
// PostgreSQL and 15 ms on SQLite, against half a millisecond started.
func TestALoneEventsRunIsStartedByTheNodeThatWroteIt(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		srv := startServer(t, engine)
		api := newContactsAPI(t)
		integration := deployContacts(t, srv.Client, api)
		wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Quiet", Source: "stripe", Triggers: contactsTrigger(integration)})
		sign := stripeSigner(t, wh.Secret)
		const events = 3
		for i := range events {
			name := fmt.Sprintf("evt_lone_%d", i)
			body := paymentEvent(name, "payment_intent.succeeded", "cus_"+name)
			e := waitEvent(t, srv.Client, deliver(t, wh.URL, body, sign(body)).ID, settled)
			if run := e.Runs[0]; run.Status != "succeeded" || run.Attempts != 1 {
				t.Fatalf("event %d: run %+v; want succeeded at its first attempt", i, run)
			}
		}
		rows, err := srv.Server.Store.DB().Query(`SELECT kind, COALESCE(attempted_at = created_at, false) FROM river_job WHERE kind LIKE 'trigger_run%' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		jobs := 0
		for rows.Next() {
			var kind string
			var startedAsWritten bool
			if err := rows.Scan(&kind, &startedAsWritten); err != nil {
				t.Fatal(err)
			}
			jobs++
			if kind != "trigger_runs" {
				t.Errorf("a lone event's run went in a %s job; want a batch of one (trigger_runs)", kind)
			}
			if !startedAsWritten {
				t.Error("a lone event's job was fetched by the queue; want it started by the node as it was written")
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if jobs != events {
			t.Errorf("%d jobs of trigger runs for %d events", jobs, events)
		}
	})
}
