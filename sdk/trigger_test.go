package sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// TestWebhookTriggerRunsOnWorker: a Stripe event's trigger calls a code
// action like a JSON one; the worker creates the record.
func TestWebhookTriggerRunsOnWorker(t *testing.T) {
	t.Parallel()
	inst := servertest.Start(t, servertest.Options{})
	api := newToolAPI(t)
	ctx := context.Background()
	in, _ := connectTool(t, inst, api)
	if _, err := inst.Client.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	wh, err := inst.Client.CreateWebhook(ctx, client.WebhookInput{
		Name: "Payments", Source: "stripe",
		Triggers: []client.TriggerSpec{{
			When:        `event.type == "payment_intent.succeeded"`,
			Integration: in.ID, Action: "create_record", Environment: "sandbox",
			Params: map[string]any{"title": "payment {{ event.data.object.id }}", "priority": "high"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"id": "evt_1", "type": "payment_intent.succeeded", "data": map[string]any{"object": map[string]any{"id": "pi_9"}}})
	v, _ := signature.New("stripe", signature.Options{})
	key, err := signature.DecodeSecret("stripe", wh.Secret)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, wh.URL, bytes.NewReader(body))
	req.Header = v.Sign(body, key, time.Now())
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("deliver: %v %v", res, err)
	}
	var receipt struct {
		ID string `json:"id"`
	}
	_ = json.NewDecoder(res.Body).Decode(&receipt)
	res.Body.Close()
	for {
		e, err := inst.Client.GetEvent(ctx, receipt.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Runs) == 1 && (e.Runs[0].Status == "succeeded" || e.Runs[0].Status == "dead") {
			if e.Runs[0].Status != "succeeded" {
				t.Fatalf("trigger run = %+v", e.Runs[0])
			}
			break
		}
		time.Sleep(20 * time.Millisecond) // until the trigger run settles
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.records) != 1 || api.records[0]["title"] != "payment pi_9" || api.records[0]["priority"] != "high" {
		t.Fatalf("records = %v", api.records)
	}
}
