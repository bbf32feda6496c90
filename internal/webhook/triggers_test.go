package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/store/storetest"
	"github.com/plugboard/plugboard/internal/webhook/signature"
)

func stripeSigner(t testing.TB, secret string) func(body []byte) http.Header {
	v, err := signature.New("stripe", signature.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := signature.DecodeSecret("stripe", secret)
	if err != nil {
		t.Fatal(err)
	}
	return func(body []byte) http.Header { return v.Sign(body, key, time.Now()) }
}

func paymentEvent(id, typ, customer string) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "type": typ, "data": map[string]any{"object": map[string]any{
		"id": "pi_123456", "amount": 5000, "currency": "usd", "customer": customer}}})
	return b
}

func TestTriggerRunsActionOncePerEvent(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		srv := startServer(t, engine)
		ctx := context.Background()
		api := newContactsAPI(t)
		integration := deployContacts(t, srv.Client, api)
		wh, err := srv.Client.CreateWebhook(ctx, client.WebhookInput{
			Name: "Payments", Source: "stripe",
			Triggers: []client.TriggerSpec{{
				When:        `event.type == "payment_intent.succeeded"`,
				Integration: integration, Action: "create_contact",
				Params: map[string]any{
					"name":   "{{ event.data.object.customer }}",
					"email":  "{{ event.data.object.customer }}@example.com",
					"amount": "{{ event.data.object.amount / 100 }}",
				},
			}},
		})
		if err != nil {
			t.Fatalf("create webhook: %v", err)
		}
		if wh.Secret == "" || wh.URL != srv.URL+"/hooks/"+wh.ID || len(wh.Triggers) != 1 {
			t.Fatalf("created webhook = %+v", wh)
		}
		sign := stripeSigner(t, wh.Secret)

		body := paymentEvent("evt_1", "payment_intent.succeeded", "cus_123456")
		first := deliver(t, wh.URL, body, sign(body))
		e := waitEvent(t, srv.Client, first.ID, settled)
		run := e.Runs[0]
		if e.Status != "succeeded" || run.Status != "succeeded" || run.Attempts != 1 || len(run.History) != 1 || run.History[0].HTTPStatus != 201 {
			t.Fatalf("event = %+v", e)
		}
		key := first.ID + ":" + run.TriggerID
		if n := api.count(key); n != 1 {
			t.Fatalf("upstream saw key %s %d times, want 1", key, n)
		}
		got := api.body(key)
		if got["name"] != "cus_123456" || got["email"] != "cus_123456@example.com" || got["amount"] != float64(50) {
			t.Fatalf("upstream body = %v", got)
		}

		// The same delivery again is acknowledged and not run twice.
		again := deliver(t, wh.URL, body, sign(body))
		if !again.Duplicate || again.ID != first.ID {
			t.Fatalf("repeat delivery = %+v, want duplicate of %s", again, first.ID)
		}

		// An event the condition rejects is stored without runs.
		other := paymentEvent("evt_2", "charge.refunded", "cus_9")
		skipped := deliver(t, wh.URL, other, sign(other))
		se, err := srv.Client.GetEvent(ctx, skipped.ID)
		if err != nil || se.Status != "unmatched" || len(se.Runs) != 0 || string(se.Body) != string(other) {
			t.Fatalf("skipped event = %+v, %v", se, err)
		}
		if api.count(key) != 1 {
			t.Fatalf("upstream called again")
		}
		page, err := srv.Client.ListEvents(ctx, wh.ID, client.EventQuery{})
		if err != nil || len(page.Events) != 2 || page.Events[0].ID != skipped.ID {
			t.Fatalf("events = %+v, %v", page, err)
		}
		page, err = srv.Client.ListEvents(ctx, wh.ID, client.EventQuery{Status: "succeeded"})
		if err != nil || len(page.Events) != 1 || page.Events[0].ID != first.ID {
			t.Fatalf("succeeded events = %+v, %v", page, err)
		}
	})
}

// The outside review's crasher: a condition that builds gigabytes from a
// literal killed the server. It is refused when saved, and a condition that
// exceeds its budget on an event a sender crafted costs that event its
// match, nothing more: the delivery is stored and answered, and the next
// one is too.
func TestHostileConditionsCannotHurtTheIntake(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "sqlite")
	ctx := context.Background()
	_, err := srv.Client.CreateWebhook(ctx, client.WebhookInput{Name: "Crash", Source: "stripe", Triggers: []client.TriggerSpec{{
		When: `len(repeat("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 999999)) > 0`, URL: "https://example.com/in",
	}}})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest || !strings.Contains(ce.Detail, "repeat is not available in triggers") {
		t.Fatalf("saving repeat: %v", err)
	}
	wh, err := srv.Client.CreateWebhook(ctx, client.WebhookInput{Name: "Greedy", Source: "stripe", Triggers: []client.TriggerSpec{{
		When: `len(join(map(event.data.items, event.data.blob), ",")) > 0`, URL: "https://example.com/in",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	sign := stripeSigner(t, wh.Secret)
	items := strings.Repeat(`1,`, 999) + `1`
	for i := range 2 {
		body := []byte(fmt.Sprintf(`{"id": "evt_%d", "data": {"blob": %q, "items": [%s]}}`, i, strings.Repeat("x", 100_000), items))
		r := deliver(t, wh.URL, body, sign(body))
		e, err := srv.Client.GetEvent(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Status != "unmatched" || len(e.Runs) != 0 {
			t.Fatalf("event %d matched a condition over its budget: %+v", i, e)
		}
	}
}
