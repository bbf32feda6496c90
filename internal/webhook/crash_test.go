package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// crashNode runs `plugboard serve` as a process on addr and dataDir.
func crashNode(t *testing.T, bin, addr, dataDir, dbURL string) *servertest.Process {
	return servertest.StartProcess(t, bin, servertest.ProcessOptions{Addr: addr, DataDir: dataDir,
		Env: map[string]string{"PLUGBOARD_DATABASE_URL": dbURL, "PLUGBOARD_JOB_TIMEOUT": "5s"}})
}

// TestCrashKeepsAcknowledgedEvents sends events at full speed from several
// goroutines, kills the server with SIGKILL mid-stream, restarts it on the
// same data, waits for the queue to drain and checks that every event that
// got a 2xx is stored and that its trigger took effect exactly once at the
// receiving API (which, like any API honouring Idempotency-Key, applies a
// key once however often it is delivered).
func TestCrashKeepsAcknowledgedEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	t.Parallel()
	bin := servertest.Binary(t)
	storetest.Engines(t, func(t *testing.T, engine string) {
		dbURL, dataDir := storetest.Location(t, engine)
		addr := servertest.FreeAddr(t)
		api := newContactsAPI(t)
		first := crashNode(t, bin, addr, dataDir, dbURL)
		c := client.New(first.URL, servertest.AdminToken)
		integration := deployContacts(t, c, api)
		wh, err := c.CreateWebhook(context.Background(), client.WebhookInput{Name: "Crash", Source: "github", Secret: "s3cret",
			RateLimitPerSecond: 1_000_000, Triggers: contactsTrigger(integration)})
		if err != nil {
			t.Fatal(err)
		}
		triggerID := wh.Triggers[0].ID

		var mu sync.Mutex
		acked := map[string]bool{}       // event id → acknowledged
		sent := map[string]http.Header{} // delivery id → the signed headers sent
		bodies := map[string][]byte{}    // delivery id → the body sent
		ackedAs := map[string]string{}   // delivery id → the event id acknowledged
		var total atomic.Int64
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hc := &http.Client{Timeout: 10 * time.Second}
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					body := fmt.Appendf(nil, `{"data":{"object":{"customer":"cus_%d_%d"}},"pad":"%0900d"}`, g, i, 0)
					req, _ := http.NewRequest(http.MethodPost, wh.URL, bytes.NewReader(body))
					req.Header = signWith("github", body, "s3cret")
					req.Header.Set("Content-Type", "application/json")
					delivery := req.Header.Get("X-GitHub-Delivery")
					mu.Lock()
					sent[delivery], bodies[delivery] = req.Header.Clone(), body
					mu.Unlock()
					resp, err := hc.Do(req)
					if err != nil {
						return // the server is gone
					}
					var r receipt
					_ = json.NewDecoder(resp.Body).Decode(&r)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						mu.Lock()
						acked[r.ID], ackedAs[delivery] = true, r.ID
						mu.Unlock()
						total.Add(1)
					}
				}
			}()
		}
		// Kill once a good number of events are in, while the senders and
		// the trigger workers are busy.
		for total.Load() < 400 {
			time.Sleep(5 * time.Millisecond)
		}
		first.Kill(t)
		close(stop)
		wg.Wait()
		t.Logf("%s: %d events acknowledged before SIGKILL", engine, len(acked))

		second := crashNode(t, bin, addr, dataDir, dbURL)
		c = client.New(second.URL, servertest.AdminToken)
		// Senders deliver again what was not acknowledged, with the same
		// delivery id, and sometimes what was: an event stored before the
		// kill, acknowledged or not, is a repeat (its keys were not yet
		// folded on SQLite), one that was not is stored now.
		for delivery, h := range sent {
			status, _, data := post(t, wh.URL, bodies[delivery], h)
			r := mustReceipt(t, status, data)
			first, wasAcked := ackedAs[delivery]
			switch {
			case wasAcked && (!r.Duplicate || r.ID != first):
				t.Fatalf("delivery %s, acknowledged as %s before the kill, sent again: %d %+v; want a repeat of it", delivery, first, status, r)
			case !wasAcked && r.Duplicate && r.ID == "":
				t.Fatalf("delivery %s sent again: a repeat of no event", delivery)
			}
			acked[r.ID] = true
		}
		stored := servertest.SettledEvents(t, c, wh.ID, len(acked))
		if len(stored) != len(acked) {
			t.Fatalf("%d events stored for %d deliveries: a delivery was stored twice", len(stored), len(acked))
		}
		for id := range acked {
			runs, ok := stored[id]
			if !ok {
				t.Fatalf("acknowledged event %s was lost", id)
			}
			if len(runs) != 1 || runs[0].Status != "succeeded" {
				t.Fatalf("event %s runs = %+v", id, runs)
			}
			if api.count(id+":"+triggerID) == 0 {
				t.Fatalf("event %s: its trigger never reached the API", id)
			}
		}
		// No key reached the API that does not belong to a stored run, and
		// each stored run has exactly one key.
		api.mu.Lock()
		defer api.mu.Unlock()
		redelivered := 0
		for key, n := range api.deliveries {
			if n > 1 {
				redelivered++
			}
			if _, ok := stored[key[:len(key)-len(triggerID)-1]]; !ok {
				t.Fatalf("the API got key %s, which matches no stored event", key)
			}
		}
		if len(api.deliveries) != len(stored) {
			t.Fatalf("%d stored events, %d distinct idempotency keys at the API", len(stored), len(api.deliveries))
		}
		t.Logf("%s: %d events stored (%d acknowledged), %d distinct keys applied once each; %d keys delivered again after the kill",
			engine, len(stored), len(acked), len(api.deliveries), redelivered)
	})
}
