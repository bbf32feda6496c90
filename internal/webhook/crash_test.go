package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

const crashToken = "pb_29bvz3gNTkwB4VOP4ydQQWAMI7TsU9dQr"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// plugboardBinary builds cmd/plugboard once for the crash tests.
func plugboardBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "plugboard-crash-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "plugboard")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/plugboard/plugboard/cmd/plugboard").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// node is a `plugboard serve` child process.
type node struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
}

func startNode(t *testing.T, bin, addr, dataDir, dbURL string) *node {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dataDir)
	cmd.Env = append(os.Environ(),
		"PLUGBOARD_ADMIN_TOKEN="+crashToken, "PLUGBOARD_ALLOW_PRIVATE_NETWORKS=true",
		"PLUGBOARD_DATABASE_URL="+dbURL, "PLUGBOARD_JOB_TIMEOUT=5s", "PLUGBOARD_LOG_LEVEL=warn")
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{w: logs}, &lockedWriter{w: logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &node{cmd: cmd, url: "http://" + addr, logs: logs}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(n.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node at %s did not start:\n%s", addr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
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
	bin := plugboardBinary(t)
	storetest.Engines(t, func(t *testing.T, engine string) {
		dbURL := ""
		if engine == store.Postgres {
			dbURL = storetest.PostgresURL(t)
		}
		dataDir, addr := t.TempDir(), freeAddr(t)
		api := newContactsAPI(t)
		first := startNode(t, bin, addr, dataDir, dbURL)
		c := client.New(first.url, crashToken)
		integration := deployContacts(t, c, api)
		wh, err := c.CreateWebhook(context.Background(), client.WebhookInput{Name: "Crash", Source: "github", Secret: "s3cret",
			RateLimitPerSecond: 1_000_000, Triggers: contactsTrigger(integration)})
		if err != nil {
			t.Fatal(err)
		}
		triggerID := wh.Triggers[0].ID

		var mu sync.Mutex
		acked := map[string]bool{} // event id → acknowledged
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
					resp, err := hc.Do(req)
					if err != nil {
						return // the server is gone
					}
					var r receipt
					_ = json.NewDecoder(resp.Body).Decode(&r)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						mu.Lock()
						acked[r.ID] = true
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
		if err := first.cmd.Process.Signal(os.Kill); err != nil {
			t.Fatal(err)
		}
		_ = first.cmd.Wait()
		close(stop)
		wg.Wait()
		t.Logf("%s: %d events acknowledged before SIGKILL", engine, len(acked))

		second := startNode(t, bin, addr, dataDir, dbURL)
		c = client.New(second.url, crashToken)
		stored := drain(t, c, wh.ID, len(acked), second)
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

// drain waits until every stored event's runs have settled and returns
// them by event id.
func drain(t *testing.T, c *client.Client, webhookID string, atLeast int, n *node) map[string][]client.TriggerRun {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		all := map[string][]client.TriggerRun{}
		busy := 0
		cursor := ""
		for {
			page, err := c.ListEvents(context.Background(), webhookID, client.EventQuery{Cursor: cursor, Limit: 500})
			if err != nil {
				t.Fatalf("list events: %v", err)
			}
			for _, e := range page.Events {
				all[e.ID] = e.Runs
				if !settled(&e) {
					busy++
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if busy == 0 && len(all) >= atLeast {
			return all
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue did not drain: %d of %d events unsettled\n%s", busy, len(all), n.logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
