package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// contactsAPI is the loopback API the triggers call: it records every
// delivery by Idempotency-Key and answers with the status its script says.
type contactsAPI struct {
	*httptest.Server
	mu         sync.Mutex
	deliveries map[string]int            // idempotency key → deliveries
	bodies     map[string]map[string]any // idempotency key → last body
	script     func(key string, n int) (status int, header http.Header)
}

func newContactsAPI(t testing.TB) *contactsAPI {
	c := &contactsAPI{deliveries: map[string]int{}, bodies: map[string]map[string]any{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		c.mu.Lock()
		c.deliveries[key]++
		n := c.deliveries[key]
		c.bodies[key] = body
		script := c.script
		c.mu.Unlock()
		status := http.StatusCreated
		if script != nil {
			var h http.Header
			status, h = script(key, n)
			for k, v := range h {
				w.Header()[k] = v
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"id":"c1"}`))
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *contactsAPI) setScript(f func(key string, n int) (int, http.Header)) {
	c.mu.Lock()
	c.script = f
	c.mu.Unlock()
}

func (c *contactsAPI) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deliveries[key]
}

func (c *contactsAPI) body(key string) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bodies[key]
}

// contactsDefinition is the seed's Custom CRM shape without auth, pointed
// at the loopback API.
func contactsDefinition(baseURL string) json.RawMessage {
	return json.RawMessage(`{"name": "Contacts", "baseUrl": "` + baseURL + `", "auth": {"type": "none"},
		"actions": [{"name": "Create Contact", "method": "POST", "endpoint": "/contacts",
		"parameters": {"name": "string", "email": "string", "amount": "number"}}]}`)
}

// deployContacts creates and deploys the contacts integration.
func deployContacts(t testing.TB, c *client.Client, api *contactsAPI) string {
	t.Helper()
	ctx := context.Background()
	in, err := c.CreateIntegration(ctx, contactsDefinition(api.URL))
	if err != nil {
		t.Fatalf("create integration: %v", err)
	}
	if _, err := c.Deploy(ctx, in.ID); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return in.ID
}

// post sends body with headers to a webhook URL.
func post(t testing.TB, url string, body []byte, h http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

type receipt struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
}

func mustReceipt(t testing.TB, status int, data []byte) receipt {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("ingest answered %d: %s", status, data)
	}
	var r receipt
	if err := json.Unmarshal(data, &r); err != nil || r.ID == "" {
		t.Fatalf("ingest receipt %s: %v", data, err)
	}
	return r
}

// waitEvent polls an event until done says its runs have settled. The
// deadline only stops a hung test; the assertions are on the outcome.
func waitEvent(t testing.TB, c *client.Client, id string, done func(*client.Event) bool) *client.Event {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		e, err := c.GetEvent(context.Background(), id)
		if err != nil {
			t.Fatalf("get event %s: %v", id, err)
		}
		if done(e) {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %s did not settle: %+v", id, e)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func settled(e *client.Event) bool {
	if len(e.Runs) == 0 {
		return false
	}
	for _, r := range e.Runs {
		if r.Status != "succeeded" && r.Status != "dead" {
			return false
		}
	}
	return true
}

func startServer(t testing.TB, engine string) *servertest.Instance {
	return servertest.Start(t, servertest.Options{Engine: engine})
}

func itoa(n int) string { return strconv.Itoa(n) }

// deliver posts and requires a 200 receipt.
func deliver(t testing.TB, url string, body []byte, h http.Header) receipt {
	t.Helper()
	status, _, data := post(t, url, body, h)
	return mustReceipt(t, status, data)
}

// signWith signs body as a sender of source would, with the signature
// package (itself checked against each provider's vectors).
func signWith(source string, body []byte, secret string) http.Header {
	v, err := signature.New(source, signature.Options{})
	if err != nil {
		panic(err)
	}
	key, err := signature.DecodeSecret(source, secret)
	if err != nil {
		panic(err)
	}
	return v.Sign(body, key, time.Now())
}
