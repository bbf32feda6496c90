package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestNodesForgetWhatAnotherNodeChanged: on PostgreSQL each node memoizes
// keys, integrations and connections; a change made on one node must reach
// the others' next calls (they hear of it by NOTIFY), never be served stale
// for long. Node B uses a key, an integration and a connection (so it holds
// them), node A revokes the key, moves the connection to another upstream
// and deploys a new endpoint; B then refuses the key and calls the new
// endpoint on the new upstream.
func TestNodesForgetWhatAnotherNodeChanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	upstream := func(name string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"upstream": %q, "path": %q}`, name, r.URL.Path)
		}))
		t.Cleanup(s.Close)
		return s
	}
	old, moved := upstream("old"), upstream("new")
	nodes := servertest.Cluster(t, 2, nil)
	a, b := nodes[0].Client, nodes[1].Client

	in, err := a.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(`{"name": "Moving CRM", "baseUrl": %q,
		"actions": [{"key": "get_contact", "name": "Get Contact", "endpoint": "/v1/contacts"}]}`, old.URL)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	conn, err := a.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "production", Credentials: map[string]string{"api_key": "k"}})
	if err != nil {
		t.Fatal(err)
	}
	var key struct{ ID, Key string }
	if err := a.Do(ctx, "POST", "/v1/keys", map[string]string{"name": "ci"}, &key); err != nil {
		t.Fatal(err)
	}
	viaKey := client.New(nodes[1].URL, key.Key)
	run := func(c *client.Client) (string, error) {
		res, err := c.Run(ctx, in.ID, "get_contact", client.RunInput{Environment: "production", Params: map[string]any{}})
		if err != nil {
			return "", err
		}
		return string(res.Body), nil
	}
	for range 3 { // B now holds the key, the integration and the connection
		if body, err := run(viaKey); err != nil || body != `{"upstream":"old","path":"/v1/contacts"}` {
			t.Fatalf("before the changes: %s %v", body, err)
		}
	}

	if err := a.Do(ctx, "DELETE", "/v1/keys/"+key.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Do(ctx, "PUT", "/v1/integrations/"+in.ID+"/connections/"+conn.ID, map[string]string{"base_url": moved.URL}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UpdateIntegration(ctx, in.ID, json.RawMessage(fmt.Sprintf(`{"name": "Moving CRM", "baseUrl": %q,
		"actions": [{"key": "get_contact", "name": "Get Contact", "endpoint": "/v2/contacts"}]}`, old.URL))); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}

	eventually := func(what string, ok func() (bool, string)) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			done, last := ok()
			if done {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: node B still answers %s", what, last)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	eventually("the revoked key", func() (bool, string) {
		_, err := run(viaKey)
		var ae *client.Error
		return errors.As(err, &ae) && ae.Status == http.StatusUnauthorized, fmt.Sprint(err)
	})
	eventually("the moved connection and the new endpoint", func() (bool, string) {
		body, err := run(b)
		return err == nil && body == `{"upstream":"new","path":"/v2/contacts"}`, body + fmt.Sprint(err)
	})
}

// TestNodesRunTheTriggersAnotherNodeChanged: node B runs a webhook's
// trigger, and so holds its compiled triggers and when the webhook last
// changed; node A changes the trigger. B's runs must follow the change
// (B hears of it by NOTIFY), not keep the trigger it compiled.
func TestNodesRunTheTriggersAnotherNodeChanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[string]int{}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Name string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		seen[body.Name]++
		mu.Unlock()
		fmt.Fprint(w, `{}`)
	}))
	t.Cleanup(up.Close)
	saw := func(name string) bool {
		mu.Lock()
		defer mu.Unlock()
		return seen[name] > 0
	}
	nodes := servertest.Cluster(t, 2, nil)
	a := nodes[0].Client
	contacts, err := a.CreateIntegration(ctx, json.RawMessage(`{"name": "Contacts", "baseUrl": "`+up.URL+`", "auth": {"type": "none"},
		"actions": [{"name": "Create Contact", "method": "POST", "endpoint": "/contacts", "parameters": {"name": "string"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Deploy(ctx, contacts.ID); err != nil {
		t.Fatal(err)
	}
	trigger := func(name string) []client.TriggerSpec {
		return []client.TriggerSpec{{Integration: contacts.ID, Action: "create_contact", Params: map[string]any{"name": name}}}
	}
	wh, err := a.CreateWebhook(ctx, client.WebhookInput{Name: "Orders", Source: "github", Secret: "s3cret", RateLimitPerSecond: 1_000_000,
		Triggers: trigger("first")})
	if err != nil {
		t.Fatal(err)
	}
	sender := servertest.Send(t, nodes[1].URL+"/hooks/"+wh.ID, "github", "s3cret", 1)
	defer sender.Stop()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		// Node B's intake reloads a webhook's settings within 5 s; its
		// runs must then use the changed trigger.
		deadline := time.Now().Add(15 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("%s: the upstream saw %v", what, seen)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("node B runs the trigger", func() bool { return saw("first") })
	if _, err := a.UpdateWebhook(ctx, wh.ID, map[string]any{"triggers": trigger("second")}); err != nil {
		t.Fatal(err)
	}
	waitFor("node B runs the trigger node A changed", func() bool { return saw("second") })
}
