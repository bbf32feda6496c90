package webhook_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

// A trigger run whose action needs approval waits (awaiting_approval,
// visible in the event's runs), goes on once approved and stops when
// denied; the API is called only for the approved one.
func TestTriggerRunWaitsForApproval(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Engine: store.Postgres, Configure: func(c *config.Config) {
		c.ApprovalPoll, c.MetricsAddr = 100*time.Millisecond, "127.0.0.1:0"
	}})
	ctx := context.Background()
	api := newContactsAPI(t)
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(`{"name": "Contacts", "baseUrl": "`+api.URL+`", "auth": {"type": "none"},
		"actions": [{"name": "Create Contact", "method": "POST", "endpoint": "/contacts", "approval": "always",
		"parameters": {"name": "string"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	wh, err := srv.Client.CreateWebhook(ctx, client.WebhookInput{Name: "Payments", Source: "stripe", Triggers: []client.TriggerSpec{{
		When: `event.type == "payment_intent.succeeded"`, Integration: in.ID, Action: "create_contact",
		Params: map[string]any{"name": "{{ event.data.object.customer }}"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	sign := stripeSigner(t, wh.Secret)
	awaiting := func(e *client.Event) bool { return len(e.Runs) == 1 && e.Runs[0].Status == "awaiting_approval" }

	for _, approve := range []bool{true, false} {
		body := paymentEvent("evt_"+map[bool]string{true: "yes", false: "no"}[approve], "payment_intent.succeeded", "cus_1")
		got := deliver(t, wh.URL, body, sign(body))
		e := waitEvent(t, srv.Client, got.ID, awaiting)
		key := got.ID + ":" + e.Runs[0].TriggerID
		if api.count(key) != 0 || e.Status != "awaiting_approval" {
			t.Fatalf("before a decision: %d calls, event %+v", api.count(key), e)
		}
		var list struct {
			Approvals []struct{ ID, Via, Status string }
		}
		if err := srv.Client.Do(ctx, "GET", "/v1/approvals?status=pending", nil, &list); err != nil || len(list.Approvals) != 1 || list.Approvals[0].Via != "trigger" {
			t.Fatalf("pending approvals %+v: %v", list, err)
		}
		verb := map[bool]string{true: "approve", false: "deny"}[approve]
		if err := srv.Client.Do(ctx, "POST", "/v1/approvals/"+list.Approvals[0].ID+"/"+verb, map[string]string{"comment": "checked"}, nil); err != nil {
			t.Fatal(err)
		}
		e = waitEvent(t, srv.Client, got.ID, settled)
		run := e.Runs[0]
		switch {
		case approve && (run.Status != "succeeded" || api.count(key) != 1):
			t.Fatalf("approved run %+v, %d calls", run, api.count(key))
		case !approve && (run.Status != "dead" || api.count(key) != 0 || !strings.Contains(run.LastError, "denied")):
			t.Fatalf("denied run %+v, %d calls", run, api.count(key))
		}
	}
	// Runs that waited for a person are counted, but not timed as a lag
	// behind the intake.
	text := srv.Metrics(t)
	if !strings.Contains(text, "plugboard_trigger_runs_total{result=\"succeeded\"} 1\n") || !strings.Contains(text, "plugboard_trigger_run_delay_seconds_count 0\n") {
		t.Errorf("/metrics after two runs that waited for approval:\n%s", servertest.GrepLines(text, "plugboard_trigger_run"))
	}
}

// A trigger run whose approval nobody decides in time dies saying so, and
// the API is never called.
func TestTriggerRunStopsWhenItsApprovalExpires(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) {
		c.ApprovalPoll, c.ApprovalTTL = 100*time.Millisecond, 500*time.Millisecond
	}})
	ctx := context.Background()
	api := newContactsAPI(t)
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(`{"name": "Contacts", "baseUrl": "`+api.URL+`", "auth": {"type": "none"},
		"actions": [{"name": "Forget Contact", "method": "DELETE", "endpoint": "/contacts/{id}", "parameters": {"id": "string"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	wh, err := srv.Client.CreateWebhook(ctx, client.WebhookInput{Name: "Erasures", Source: "stripe", Triggers: []client.TriggerSpec{{
		When: `event.type == "customer.deleted"`, Integration: in.ID, Action: "forget_contact", Environment: "production",
		Params: map[string]any{"id": "{{ event.data.object.customer }}"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	body := paymentEvent("evt_late", "customer.deleted", "cus_9")
	got := deliver(t, wh.URL, body, stripeSigner(t, wh.Secret)(body))
	e := waitEvent(t, srv.Client, got.ID, settled)
	if run := e.Runs[0]; run.Status != "dead" || !strings.Contains(run.LastError, "expired") || api.count(got.ID+":"+run.TriggerID) != 0 {
		t.Fatalf("run %+v", run)
	}
}
