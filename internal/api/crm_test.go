package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// seedCRM is the "Custom CRM" example from the product page, verbatim.
const seedCRM = `{
  "name": "Custom CRM",
  "baseUrl": "https://api.customcrm.com/v1",
  "auth": {
    "type": "api_key",
    "location": "header",
    "key": "X-API-Key"
  },
  "actions": [
    {
      "name": "Create Contact",
      "method": "POST",
      "endpoint": "/contacts",
      "parameters": {
        "name": "string",
        "email": "string",
        "phone": "string"
      }
    },
    {
      "name": "Get Contact",
      "method": "GET",
      "endpoint": "/contacts/{id}",
      "parameters": {
        "id": "string"
      }
    }
  ]
}`

// metricsToken is the token the servers of these tests guard /metrics
// with.
const metricsToken = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// crmUpstream is a small CRM API that insists on its API key.
type crmUpstream struct {
	*httptest.Server
	key      string
	mu       sync.Mutex
	contacts map[string]map[string]any
}

func newCRM(t *testing.T, key string) *crmUpstream {
	c := &crmUpstream{key: key, contacts: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/contacts", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		id := "c" + string(rune('0'+len(c.contacts)+1))
		in["id"] = id
		c.contacts[id] = in
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(in)
	})
	mux.HandleFunc("GET /v1/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		contact, ok := c.contacts[r.PathValue("id")]
		c.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"no such contact"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(contact)
	})
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != c.key {
			http.Error(w, `{"error":"bad api key"}`, http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

func TestCustomCRMEndToEnd(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		const secret = "crm-sandbox-secret-7f3a9c"
		crm := newCRM(t, secret)
		// The operator opted in to tenant names in the metrics.
		srv := servertest.Start(t, servertest.Options{Engine: engine, Configure: func(c *config.Config) {
			c.MetricsToken, c.MetricsTenantLabels = metricsToken, true
		}})
		c := srv.Client

		in, err := c.CreateIntegration(ctx, json.RawMessage(seedCRM))
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if in.Status != "draft" || in.Version != 1 || len(in.Actions) != 2 || in.Actions[0].Key != "create_contact" || in.Actions[1].Key != "get_contact" {
			t.Fatalf("created integration = %+v", in)
		}
		if in.Actions[0].Name != "Create Contact" || in.Actions[0].Tool != "custom_crm__create_contact" {
			t.Fatalf("action 0 = %+v", in.Actions[0])
		}

		// Without credentials the run says what to do.
		_, err = c.Run(ctx, in.ID, "create_contact", client.RunInput{Environment: "sandbox", Params: map[string]any{"name": "Ada"}})
		var pe *client.Error
		if !errors.As(err, &pe) || pe.Status != 409 || !strings.Contains(pe.Detail, "connection") {
			t.Fatalf("run without connection: %v", err)
		}

		conn, err := c.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"api_key": secret}, BaseURL: crm.URL + "/v1"})
		if err != nil {
			t.Fatalf("add connection: %v", err)
		}
		if conn.ID == "" {
			t.Fatal("connection has no id")
		}

		test, err := c.Test(ctx, in.ID, "sandbox")
		if err != nil {
			t.Fatalf("test: %v", err)
		}
		// The first GET action needs an id: the probe sends a placeholder, the
		// CRM accepts the key and answers 404, so the connection works.
		if !test.OK || test.Status != 404 || test.Action != "get_contact" || !strings.Contains(test.Reason, "accepted the credentials") {
			t.Fatalf("test result = %+v", test)
		}

		dep, err := c.Deploy(ctx, in.ID)
		if err != nil || dep.Status != "deployed" || dep.DeployedVersion != 1 {
			t.Fatalf("deploy: %+v %v", dep, err)
		}

		res, err := c.Run(ctx, in.ID, "create_contact", client.RunInput{Environment: "sandbox", Params: map[string]any{"name": "Ada Lovelace", "email": "ada@example.com"}})
		if err != nil {
			t.Fatalf("run create_contact: %v", err)
		}
		var created map[string]any
		if res.Status != 201 || json.Unmarshal(res.Body, &created) != nil || created["name"] != "Ada Lovelace" || created["id"] == "" {
			t.Fatalf("create_contact = %d %s", res.Status, res.Body)
		}
		res, err = c.Run(ctx, in.ID, "Get Contact", client.RunInput{Environment: "sandbox", Params: map[string]any{"id": created["id"]}})
		if err != nil {
			t.Fatalf("run get_contact: %v", err)
		}
		var got map[string]any
		if res.Status != 200 || json.Unmarshal(res.Body, &got) != nil || got["email"] != "ada@example.com" {
			t.Fatalf("get_contact = %d %s", res.Status, res.Body)
		}

		// Bad params are refused before any call, naming each field.
		_, err = c.Run(ctx, in.ID, "create_contact", client.RunInput{Params: map[string]any{"name": 7, "nickname": "x"}})
		if !errors.As(err, &pe) || pe.Status != 400 || len(pe.Errors) != 2 {
			t.Fatalf("bad params: %v (%+v)", err, pe)
		}

		// The call log has the calls, with the key masked.
		srv.Server.Recorder.Flush(ctx)
		logs, err := c.Logs(ctx, map[string][]string{"integration": {in.ID}})
		if err != nil || len(logs) < 3 {
			t.Fatalf("logs: %d %v", len(logs), err)
		}
		detail, err := c.Log(ctx, logs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(detail.RequestHeaders, "X-Api-Key: [REDACTED]") || detail.Status != 200 {
			t.Fatalf("log detail headers = %q status %d", detail.RequestHeaders, detail.Status)
		}

		// Prometheus sees the calls per integration and action.
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+metricsToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		metricsText, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`plugboard_action_calls_total{action="create_contact",integration="custom_crm",integration_id="` + in.ID + `",source="api",status_class="2xx"} 1`,
			`plugboard_action_duration_seconds_count{action="get_contact",integration="custom_crm",integration_id="` + in.ID + `"}`,
		} {
			if !strings.Contains(string(metricsText), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}

		// The secret is nowhere in the database files or the logs.
		srv.Stop()
		if engine == store.SQLite {
			assertNotInFiles(t, srv.DataDir, secret)
		}
		if strings.Contains(srv.Logs.String(), secret) {
			t.Fatal("the credential appears in the server log")
		}
	})
}

func assertNotInFiles(t *testing.T, dir, secret string) {
	t.Helper()
	found := 0
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		found++
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), secret) {
			t.Errorf("the credential appears in plain text in %s", path)
		}
		return nil
	})
	if found == 0 {
		t.Fatalf("no database files in %s", dir)
	}
}
