package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/cli"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

// tail follows a webhook: a header row, each event as it arrives, and a new
// line each time the outcome of one still running changes.
func TestWebhooksTailShowsOutcomesAsTheyChange(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id": "c1"}`))
	}))
	defer up.Close()
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(`{"name": "Contacts", "baseUrl": "`+up.URL+`", "auth": {"type": "none"},
		"actions": [{"name": "Create Contact", "method": "POST", "endpoint": "/contacts", "parameters": {"name": "string"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	wh, err := srv.Client.CreateWebhook(ctx, client.WebhookInput{Name: "Signups", Source: "standard", Triggers: []client.TriggerSpec{{
		When: `event.type == "signup"`, Integration: in.ID, Action: "create_contact", Params: map[string]any{"name": "{{ event.name }}"},
	}}})
	if err != nil {
		t.Fatal(err)
	}

	tailCtx, stop := context.WithCancel(ctx)
	var out, errb servertest.SyncBuffer
	done := make(chan int)
	go func() {
		done <- cli.Run(tailCtx, []string{"webhooks", "tail", wh.ID, "--interval", "50ms", "--server", srv.URL, "--token", srv.Token}, strings.NewReader(""), &out, &errb)
	}()
	waitFor(t, &out, regexp.MustCompile(`(?m)^RECEIVED\s+EVENT\s+STATUS\s+PROVIDER ID\s+FROM\s+RUNS`))

	matched, err := srv.Client.TestWebhook(ctx, wh.ID, json.RawMessage(`{"type": "signup", "name": "Ada"}`))
	if err != nil || matched.EventID == "" {
		t.Fatalf("send an event: %+v, %v", matched, err)
	}
	waitFor(t, &out, regexp.MustCompile(`(?m)^\S+\s+`+matched.EventID+`\s+pending\s`))
	close(release)
	waitFor(t, &out, regexp.MustCompile(`(?m)^\S+\s+`+matched.EventID+`\s+succeeded\s.*succeeded/1$`))

	other, err := srv.Client.TestWebhook(ctx, wh.ID, json.RawMessage(`{"type": "login"}`))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, &out, regexp.MustCompile(`(?m)^\S+\s+`+other.EventID+`\s+unmatched\s`))

	// An event that arrived just before the last one shown but was
	// committed after it (events are committed in batches) is shown too.
	shown, err := srv.Client.GetEvent(ctx, other.EventID)
	if err != nil {
		t.Fatal(err)
	}
	var orgID string
	if err := srv.Server.Store.DB().QueryRowContext(ctx, `SELECT org_id FROM webhooks WHERE id = ?`, wh.ID).Scan(&orgID); err != nil {
		t.Fatal(err)
	}
	at := shown.ReceivedAt.Add(-300 * time.Millisecond)
	late := store.Event{ID: store.EventIDAt(at), OrgID: orgID, WebhookID: wh.ID, Headers: `{}`, Body: []byte(`{"type": "late"}`), SourceIP: "192.0.2.7", ReceivedAt: at}
	if err := srv.Server.Store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.InsertEvent(ctx, late)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &out, regexp.MustCompile(`(?m)^\S+\s+`+late.ID+`\s`))
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("tail exited %d: %s", code, errb.String())
	}
	if n := strings.Count(out.String(), late.ID); n != 1 {
		t.Fatalf("the late event was shown %d times, want once:\n%s", n, out.String())
	}
	if n := strings.Count(out.String(), matched.EventID); n != 2 {
		t.Fatalf("the matched event was shown %d times, want once pending and once succeeded:\n%s", n, out.String())
	}
}

// waitFor polls out until re matches; the deadline only stops a hung test.
func waitFor(t *testing.T, out *servertest.SyncBuffer, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !re.MatchString(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no line matching %s in:\n%s", re, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
