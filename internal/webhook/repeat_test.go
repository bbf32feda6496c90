package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// A delivery is recognized as a repeat whichever way it came in, the public
// URL or the REST test endpoint (which the dashboard's test button also
// uses), and whichever came first: both end in the one ingest path and the
// store's key tables.
func TestARepeatIsARepeatWhicheverWayItCame(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		srv := startServer(t, engine)
		ctx := context.Background()
		wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Repeats", Source: "stripe"})
		sign := stripeSigner(t, wh.Secret)

		public := []byte(`{"id": "evt_repeat_1", "type": "customer.created"}`)
		first := deliver(t, wh.URL, public, sign(public))
		res, err := srv.Client.TestWebhook(ctx, wh.ID, json.RawMessage(public))
		if err != nil || !duplicateOf(res.Body, first.ID) {
			t.Fatalf("the public delivery sent again through the test endpoint answered %d %s (%v); want a repeat of %s", res.Status, res.Body, err, first.ID)
		}

		viaTest := []byte(`{"id": "evt_repeat_2", "type": "customer.created"}`)
		res, err = srv.Client.TestWebhook(ctx, wh.ID, json.RawMessage(viaTest))
		if err != nil || res.Status != http.StatusOK || res.EventID == "" || duplicateOf(res.Body, res.EventID) {
			t.Fatalf("a new event through the test endpoint answered %d %s (%v)", res.Status, res.Body, err)
		}
		status, _, data := post(t, wh.URL, viaTest, sign(viaTest))
		if r := mustReceipt(t, status, data); !r.Duplicate || r.ID != res.EventID {
			t.Fatalf("the tested event delivered to the public URL = %d %+v; want a repeat of %s", status, r, res.EventID)
		}
		page, err := srv.Client.ListEvents(ctx, wh.ID, client.EventQuery{})
		if err != nil || len(page.Events) != 2 {
			t.Fatalf("events stored = %+v, %v; want 2", page, err)
		}
	})
}

// duplicateOf reports whether an ingest answer says it repeats event id.
func duplicateOf(body []byte, id string) bool {
	var r receipt
	return json.Unmarshal(body, &r) == nil && r.Duplicate && r.ID == id
}
