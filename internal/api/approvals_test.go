package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

// gated is a server with an integration whose DELETE waits for approval in
// production, and whose "purge" action always does, decided by the team
// Ops; deletes counts the calls that reached the API.
type gated struct {
	srv     *servertest.Instance
	id      string
	deletes atomic.Int64
}

func newGated(t *testing.T, opts servertest.Options) *gated {
	t.Helper()
	g := &gated{}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete || strings.HasSuffix(r.URL.Path, "/purge") {
			g.deletes.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"deleted": "` + r.URL.Path + `"}`))
	}))
	t.Cleanup(up.Close)
	g.srv = servertest.Start(t, opts)
	ctx := context.Background()
	in, err := g.srv.Client.CreateIntegration(ctx, json.RawMessage(`{"name": "Gated CRM", "baseUrl": "`+up.URL+`", "auth": {"type": "none"}, "actions": [
		{"key": "delete_contact", "name": "Delete Contact", "method": "DELETE", "endpoint": "/contacts/{id}", "parameters": {"id": "string"}},
		{"key": "purge", "name": "Purge", "method": "POST", "endpoint": "/purge", "approval": "always", "approval_team": "Ops", "parameters": {"before": "string"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.srv.Client.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	g.id = in.ID
	return g
}

type answer struct {
	status int
	body   map[string]any
}

func (a answer) approval() map[string]any { m, _ := a.body["approval"].(map[string]any); return m }

// call sends a JSON request with key as the bearer and the idempotency key.
func call(t *testing.T, srv *servertest.Instance, key, method, path, idem string, body any) answer {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := answer{status: resp.StatusCode, body: map[string]any{}}
	_ = json.NewDecoder(resp.Body).Decode(&out.body)
	return out
}

func (g *gated) run(t *testing.T, key, action, env, idem string, params map[string]any) answer {
	t.Helper()
	return call(t, g.srv, key, "POST", "/v1/integrations/"+g.id+"/actions/"+action+"/run", idem, map[string]any{"environment": env, "params": params})
}

func member(t *testing.T, srv *servertest.Instance, email, role string) (userID, key string) {
	t.Helper()
	var out struct {
		User struct{ ID string } `json:"user"`
		Key  string              `json:"key"`
	}
	if err := srv.Client.Do(context.Background(), "POST", "/v1/users", map[string]string{"email": email, "role": role}, &out); err != nil {
		t.Fatal(err)
	}
	return out.User.ID, out.Key
}

func TestRunWaitsForApproval(t *testing.T) {
	t.Parallel()
	g := newGated(t, servertest.Options{})
	owner := servertest.AdminToken
	_, dev := member(t, g.srv, "dev@example.com", "developer")

	// Sandbox is not gated under the auto policy.
	if a := g.run(t, dev, "delete_contact", "sandbox", "", map[string]any{"id": "s1"}); a.status != 200 {
		t.Fatalf("sandbox delete: %d %v", a.status, a.body)
	}
	g.deletes.Store(0)

	first := g.run(t, dev, "delete_contact", "production", "k1", map[string]any{"id": "c1"})
	if first.status != http.StatusAccepted || first.approval()["status"] != "pending" {
		t.Fatalf("first call: %d %v, want 202 pending", first.status, first.body)
	}
	apID, _ := first.approval()["id"].(string)
	if url, _ := first.approval()["url"].(string); url != g.srv.URL+"/v1/approvals/"+apID {
		t.Errorf("status url %q", url)
	}
	if again := g.run(t, dev, "delete_contact", "production", "k1", map[string]any{"id": "c1"}); again.status != 202 || again.approval()["id"] != apID {
		t.Fatalf("repeat while pending: %d %v", again.status, again.body)
	}
	// The key is bound to its request: another contact is refused.
	if swap := g.run(t, dev, "delete_contact", "production", "k1", map[string]any{"id": "c2"}); swap.status != http.StatusUnprocessableEntity {
		t.Fatalf("swapped params: %d %v, want 422", swap.status, swap.body)
	}
	if n := g.deletes.Load(); n != 0 {
		t.Fatalf("the API was called %d times before approval", n)
	}

	// The requester sees it; a developer may not decide it.
	view := call(t, g.srv, dev, "GET", "/v1/approvals/"+apID, "", nil)
	if view.status != 200 || view.body["method"] != "DELETE" || !strings.HasSuffix(view.body["url"].(string), "/v1/approvals/"+apID) {
		t.Fatalf("GET approval: %d %v", view.status, view.body)
	}
	if d := call(t, g.srv, dev, "POST", "/v1/approvals/"+apID+"/approve", "", map[string]string{}); d.status != http.StatusForbidden {
		t.Fatalf("developer approves: %d, want 403", d.status)
	}
	pending := call(t, g.srv, owner, "GET", "/v1/approvals?status=pending", "", nil)
	if list, _ := pending.body["approvals"].([]any); len(list) != 1 {
		t.Fatalf("pending list: %v", pending.body)
	}
	if d := call(t, g.srv, owner, "POST", "/v1/approvals/"+apID+"/approve", "", map[string]string{"comment": "customer asked"}); d.status != 200 || d.body["status"] != "approved" {
		t.Fatalf("owner approves: %d %v", d.status, d.body)
	}
	if d := call(t, g.srv, owner, "POST", "/v1/approvals/"+apID+"/deny", "", map[string]string{}); d.status != http.StatusConflict {
		t.Fatalf("a second decision: %d, want 409", d.status)
	}

	done := g.run(t, dev, "delete_contact", "production", "k1", map[string]any{"id": "c1"})
	if done.status != 200 || !strings.Contains(jsonString(done.body["body"]), "/contacts/c1") {
		t.Fatalf("approved call: %d %v, want the upstream's answer", done.status, done.body)
	}
	if again := g.run(t, dev, "delete_contact", "production", "k1", map[string]any{"id": "c1"}); again.status != 200 {
		t.Fatalf("repeat after execution: %d %v", again.status, again.body)
	}
	if n := g.deletes.Load(); n != 1 {
		t.Fatalf("the API was called %d times, want exactly once", n)
	}

	// Denied: the caller is told so with the comment, and nothing is sent.
	den := g.run(t, dev, "delete_contact", "production", "k2", map[string]any{"id": "c3"})
	denID, _ := den.approval()["id"].(string)
	call(t, g.srv, owner, "POST", "/v1/approvals/"+denID+"/deny", "", map[string]string{"comment": "wrong customer"})
	if d := g.run(t, dev, "delete_contact", "production", "k2", map[string]any{"id": "c3"}); d.status != 403 || !strings.Contains(d.body["detail"].(string), "wrong customer") {
		t.Fatalf("denied call: %d %v", d.status, d.body)
	}

	// A call without a key gets one to come back with.
	nokey := g.run(t, dev, "delete_contact", "production", "", map[string]any{"id": "c4"})
	if nokey.status != 202 || nokey.body["idempotency_key"] == "" {
		t.Fatalf("call without a key: %d %v", nokey.status, nokey.body)
	}
	if n := g.deletes.Load(); n != 1 {
		t.Fatalf("the API was called %d times, want once", n)
	}

	var audit struct{ Events []struct{ Action string } }
	if err := g.srv.Client.Do(context.Background(), "GET", "/v1/audit", nil, &audit); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range audit.Events {
		seen[e.Action]++
	}
	for _, want := range []string{"approval.request", "approval.approve", "approval.deny", "approval.execute"} {
		if seen[want] == 0 {
			t.Errorf("the audit trail has no %s: %v", want, seen)
		}
	}
}

// Members of the team an action names decide its approvals; an always
// policy gates sandbox too.
func TestApprovalTeamDecides(t *testing.T) {
	t.Parallel()
	g := newGated(t, servertest.Options{})
	ctx := context.Background()
	opsID, ops := member(t, g.srv, "ops@example.com", "developer")
	_, other := member(t, g.srv, "other@example.com", "developer")
	var team struct{ ID string }
	if err := g.srv.Client.Do(ctx, "POST", "/v1/teams", map[string]string{"name": "Ops"}, &team); err != nil {
		t.Fatal(err)
	}
	if err := g.srv.Client.Do(ctx, "PUT", "/v1/teams/"+team.ID+"/members/"+opsID, nil, nil); err != nil {
		t.Fatal(err)
	}
	a := g.run(t, other, "purge", "sandbox", "p1", map[string]any{"before": "2020"})
	if a.status != 202 {
		t.Fatalf("purge in sandbox: %d %v, want 202", a.status, a.body)
	}
	id, _ := a.approval()["id"].(string)
	if d := call(t, g.srv, ops, "POST", "/v1/approvals/"+id+"/approve", "", nil); d.status != 200 {
		t.Fatalf("team member approves: %d %v", d.status, d.body)
	}
	if r := g.run(t, other, "purge", "sandbox", "p1", map[string]any{"before": "2020"}); r.status != 200 || g.deletes.Load() != 1 {
		t.Fatalf("approved purge: %d %v, calls %d", r.status, r.body, g.deletes.Load())
	}
	// Bad input reads as a problem that says what to fix.
	if l := call(t, g.srv, ops, "GET", "/v1/approvals?status=maybe", "", nil); l.status != 400 && l.status != 422 {
		t.Fatalf("bad status filter: %d", l.status)
	}
}

func TestApprovalExpires(t *testing.T) {
	t.Parallel()
	g := newGated(t, servertest.Options{Engine: store.Postgres, Configure: func(c *config.Config) { c.ApprovalTTL = 300 * time.Millisecond }})
	a := g.run(t, servertest.AdminToken, "delete_contact", "production", "e1", map[string]any{"id": "c1"})
	if a.status != 202 {
		t.Fatalf("first call: %d %v", a.status, a.body)
	}
	time.Sleep(400 * time.Millisecond)
	if r := g.run(t, servertest.AdminToken, "delete_contact", "production", "e1", map[string]any{"id": "c1"}); r.status != http.StatusGone {
		t.Fatalf("after expiry: %d %v, want 410", r.status, r.body)
	}
	id, _ := a.approval()["id"].(string)
	if v := call(t, g.srv, servertest.AdminToken, "GET", "/v1/approvals/"+id, "", nil); v.body["status"] != "expired" {
		t.Fatalf("approval after expiry: %v", v.body)
	}
	if d := call(t, g.srv, servertest.AdminToken, "POST", "/v1/approvals/"+id+"/approve", "", nil); d.status != http.StatusConflict {
		t.Fatalf("approving an expired approval: %d, want 409", d.status)
	}
	if g.deletes.Load() != 0 {
		t.Fatal("an expired call reached the API")
	}
	_ = client.Error{}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

// Each new pending approval is posted to the organization's notification
// URL, signed in the Standard Webhooks format, and retried after a
// transient failure.
func TestApprovalNotification(t *testing.T) {
	t.Parallel()
	g := newGated(t, servertest.Options{})
	got := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	var tries atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if tries.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		got <- r
		bodies <- b
	}))
	t.Cleanup(hook.Close)
	set := call(t, g.srv, servertest.AdminToken, "PUT", "/v1/approvals/settings", "", map[string]string{"notify_url": hook.URL + "/approvals"})
	secret, _ := set.body["secret"].(string)
	if set.status != 200 || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("set the notification URL: %d %v", set.status, set.body)
	}
	if bad := call(t, g.srv, servertest.AdminToken, "PUT", "/v1/approvals/settings", "", map[string]string{"notify_url": "ftp://x"}); bad.status != 422 && bad.status != 400 {
		t.Fatalf("a bad URL: %d", bad.status)
	}
	a := g.run(t, servertest.AdminToken, "delete_contact", "production", "n1", map[string]any{"id": "c1"})
	select {
	case r := <-got:
		body := <-bodies
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(body, r.Header); err != nil {
			t.Fatalf("signature: %v", err)
		}
		var msg struct {
			Type string
			Data struct{ ID, Method, Page string }
		}
		if err := json.Unmarshal(body, &msg); err != nil || msg.Type != "approval.pending" || msg.Data.ID != a.approval()["id"] || msg.Data.Method != "DELETE" {
			t.Fatalf("notification %s: %v", body, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no notification after %d tries", tries.Load())
	}
	if tries.Load() < 2 {
		t.Fatal("the failed notification was not retried")
	}
}

// Concurrent repeats of an approved call send it once: the others replay
// its answer or are told it is still running.
func TestApprovedCallIsSentOnceUnderConcurrentRepeats(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.SQLite, store.Postgres} {
		g := newGated(t, servertest.Options{Engine: engine})
		a := g.run(t, servertest.AdminToken, "delete_contact", "production", "race", map[string]any{"id": "c1"})
		id, _ := a.approval()["id"].(string)
		if d := call(t, g.srv, servertest.AdminToken, "POST", "/v1/approvals/"+id+"/approve", "", nil); d.status != 200 {
			t.Fatalf("%s: approve: %d", engine, d.status)
		}
		statuses := make(chan int, 8)
		for range 8 {
			go func() {
				statuses <- g.run(t, servertest.AdminToken, "delete_contact", "production", "race", map[string]any{"id": "c1"}).status
			}()
		}
		seen := map[int]int{}
		for range 8 {
			seen[<-statuses]++
		}
		if seen[200] == 0 || seen[200]+seen[409] != 8 || g.deletes.Load() != 1 {
			t.Fatalf("%s: statuses %v, %d deletes; want one send and replays or 409s", engine, seen, g.deletes.Load())
		}
	}
}
