package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// fastRetry keeps the tests quick: waits of at most 50ms between attempts.
func fastRetry(attempts int) *client.RetryPolicy {
	return &client.RetryPolicy{MaxAttempts: attempts, InitialDelay: "10ms", MaxDelay: "50ms"}
}

func contactsTrigger(integration string) []client.TriggerSpec {
	return []client.TriggerSpec{{Integration: integration, Action: "create_contact",
		Params: map[string]any{"name": "{{ event.data.object.customer }}"}}}
}

func TestRetriesDeadLettersAndReplay(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		srv := servertest.Start(t, servertest.Options{Engine: engine, Configure: func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" }})
		ctx := context.Background()
		api := newContactsAPI(t)
		integration := deployContacts(t, srv.Client, api)
		wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Retry", Source: "stripe",
			Retry: fastRetry(4), Triggers: contactsTrigger(integration)})
		sign := stripeSigner(t, wh.Secret)
		send := func(id string) receipt {
			body := paymentEvent(id, "payment_intent.succeeded", "cus_"+id)
			return deliver(t, wh.URL, body, sign(body))
		}

		// Two 500s, then success: three attempts, each recorded.
		api.setScript(func(key string, n int) (int, http.Header) {
			if strings.Contains(key, "evt_") && n <= 2 {
				return http.StatusInternalServerError, nil
			}
			return http.StatusCreated, nil
		})
		r := send("flaky")
		e := waitEvent(t, srv.Client, r.ID, settled)
		run := e.Runs[0]
		if run.Status != "succeeded" || run.Attempts != 3 || len(run.History) != 3 {
			t.Fatalf("flaky run = %+v", run)
		}
		for i, want := range []int{500, 500, 201} {
			h := run.History[i]
			if h.HTTPStatus != want || h.Number != i+1 || (want == 201) != (h.Status == "succeeded") || h.DurationMS <= 0 {
				t.Fatalf("attempt %d = %+v, want HTTP %d", i+1, h, want)
			}
		}

		// A 400 will not get better: dead after one attempt.
		api.setScript(func(string, int) (int, http.Header) { return http.StatusBadRequest, nil })
		bad := waitEvent(t, srv.Client, send("bad").ID, settled)
		if bad.Status != "dead" || bad.Runs[0].Attempts != 1 || bad.Runs[0].LastStatus != 400 {
			t.Fatalf("400 run = %+v", bad.Runs[0])
		}

		// 503 every time: dead after the policy's four attempts.
		api.setScript(func(string, int) (int, http.Header) { return http.StatusServiceUnavailable, nil })
		down := waitEvent(t, srv.Client, send("down").ID, settled)
		if down.Status != "dead" || down.Runs[0].Attempts != 4 || len(down.Runs[0].History) != 4 {
			t.Fatalf("503 run = %+v", down.Runs[0])
		}
		page, err := srv.Client.ListEvents(ctx, wh.ID, client.EventQuery{Status: "dead"})
		if err != nil || len(page.Events) != 2 {
			t.Fatalf("dead-letter list = %+v, %v", page, err)
		}

		// Replay one event, then the rest in bulk, once the API is back.
		api.setScript(nil)
		res, err := srv.Client.ReplayEvent(ctx, down.ID)
		if err != nil || res.Replayed != 1 {
			t.Fatalf("replay = %+v, %v", res, err)
		}
		replayed := waitEvent(t, srv.Client, down.ID, settled)
		if replayed.Status != "succeeded" || replayed.Runs[0].Replays != 1 || len(replayed.Runs[0].History) != 5 {
			t.Fatalf("replayed run = %+v", replayed.Runs[0])
		}
		bulk, err := srv.Client.ReplayWebhook(ctx, wh.ID, "dead")
		if err != nil || bulk.Replayed != 1 {
			t.Fatalf("bulk replay = %+v, %v", bulk, err)
		}
		if e := waitEvent(t, srv.Client, bad.ID, settled); e.Status != "succeeded" {
			t.Fatalf("bulk-replayed event = %+v", e)
		}
		// A replay is a new series: the upstream sees a new idempotency key.
		if api.count(down.ID+":"+down.Runs[0].TriggerID+":replay1") != 1 {
			t.Fatalf("replay did not reach the API under its own idempotency key")
		}

		// The metrics count every attempt by its result, and time the first
		// attempt of each run from its event's arrival (three runs; the
		// replays are left out).
		text := srv.Metrics(t)
		for _, want := range []string{
			`plugboard_trigger_runs_total{result="succeeded"} 3`,
			`plugboard_trigger_runs_total{result="retrying"} 5`,
			`plugboard_trigger_runs_total{result="dead"} 2`,
			`plugboard_trigger_run_delay_seconds_count 3`,
			`plugboard_trigger_run_delay_seconds_bucket{le="3600"} 3`,
		} {
			if !strings.Contains(text, want+"\n") {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if strings.Contains(text, "plugboard_trigger_run_delay_seconds_sum 0\n") {
			t.Error("the trigger runs' delay summed to zero")
		}
	})
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	srv := startServer(t, store.SQLite)
	api := newContactsAPI(t)
	integration := deployContacts(t, srv.Client, api)
	// The outbound client waits out short Retry-After values itself; a
	// long one comes back to the trigger run, which schedules around it.
	api.setScript(func(string, int) (int, http.Header) {
		return http.StatusTooManyRequests, http.Header{"Retry-After": {"120"}}
	})
	wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Slow down", Source: "stripe",
		Retry: &client.RetryPolicy{MaxAttempts: 3, InitialDelay: "10ms", MaxDelay: "1h"}, Triggers: contactsTrigger(integration)})
	body := paymentEvent("evt_429", "payment_intent.succeeded", "cus_1")
	sent := time.Now()
	r := deliver(t, wh.URL, body, stripeSigner(t, wh.Secret)(body))
	e := waitEvent(t, srv.Client, r.ID, func(e *client.Event) bool { return len(e.Runs) == 1 && e.Runs[0].Status == "retrying" })
	if next := e.Runs[0].NextAt; next.Before(sent.Add(110*time.Second)) || e.Runs[0].LastStatus != 429 {
		t.Fatalf("after a 429 with Retry-After: 120 the next attempt is at %s (sent %s), run %+v", next, sent, e.Runs[0])
	}
}

func TestForwardTrigger(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		srv := startServer(t, engine)
		var mu sync.Mutex
		var got []http.Header
		var bodies []string
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got, bodies = append(got, r.Header.Clone()), append(bodies, string(b))
			mu.Unlock()
		}))
		t.Cleanup(target.Close)
		wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Forward", Source: "github", Secret: "s",
			Triggers: []client.TriggerSpec{{When: `headers["x-github-event"] == "push"`, URL: target.URL + "/in"}}})
		body := []byte(`{"ref":"refs/heads/main"}`)
		h := signWith("github", body, "s")
		h.Set("X-GitHub-Event", "push")
		r := deliver(t, wh.URL, body, h)
		e := waitEvent(t, srv.Client, r.ID, settled)
		mu.Lock()
		defer mu.Unlock()
		if e.Status != "succeeded" || len(got) != 1 || bodies[0] != string(body) || got[0].Get("X-Plugboard-Event-Id") != r.ID || got[0].Get("Idempotency-Key") == "" {
			t.Fatalf("forward: event %+v, target saw %v %q", e, got, bodies)
		}
	})
}

func TestTriggerErrorsAtSave(t *testing.T) {
	t.Parallel()
	srv := startServer(t, store.SQLite)
	api := newContactsAPI(t)
	integration := deployContacts(t, srv.Client, api)
	ctx := context.Background()
	cases := []struct {
		trigger client.TriggerSpec
		want    []string
	}{
		{client.TriggerSpec{When: `event.type ==`, Integration: integration, Action: "create_contact"}, []string{"triggers[0]", "when", "(1:"}},
		{client.TriggerSpec{Integration: integration, Action: "create_contact", Params: map[string]any{"name": "{{ event.( }}"}}, []string{"params.name", "(1:"}},
		{client.TriggerSpec{Integration: integration, Action: "delete_everything"}, []string{"no action", "create_contact"}},
		{client.TriggerSpec{Integration: "nope", Action: "x"}, []string{"not found"}},
	}
	for _, c := range cases {
		_, err := srv.Client.CreateWebhook(ctx, client.WebhookInput{Name: "Bad", Source: "stripe", Triggers: []client.TriggerSpec{c.trigger}})
		var ae *client.Error
		if err == nil || !asClientError(err, &ae) || ae.Status != 400 {
			t.Fatalf("trigger %+v: err = %v, want 400", c.trigger, err)
		}
		msg := ae.Detail
		for _, fe := range ae.Errors {
			msg += " " + fe.Field + " " + fe.Message
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Fatalf("trigger %+v: error %q does not mention %q", c.trigger, msg, w)
			}
		}
	}
	// PATCH replaces triggers and checks them the same way.
	wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Good", Source: "stripe"})
	patch := json.RawMessage(`{"triggers": [{"when": "event.type == \"x\"", "integration": "` + integration + `", "action": "create_contact"}], "rate_limit_per_second": 50}`)
	up, err := srv.Client.UpdateWebhook(ctx, wh.ID, patch)
	if err != nil || len(up.Triggers) != 1 || up.RateLimitPerSecond != 50 || up.Triggers[0].ID == "" {
		t.Fatalf("patch = %+v, %v", up, err)
	}
}

func asClientError(err error, target **client.Error) bool {
	e, ok := err.(*client.Error)
	if ok {
		*target = e
	}
	return ok
}
