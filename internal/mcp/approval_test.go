package mcp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

// approver is the organization's owner deciding approvals in the
// dashboard, in headless Chromium.
type approver struct {
	t        *testing.T
	ctx      context.Context
	signedIn bool
}

func newApprover(t *testing.T, srv *servertest.Instance) *approver {
	t.Helper()
	srv.SignInOwner(t) // sets the owner's password
	path := ""
	for _, p := range []string{os.Getenv("PLUGBOARD_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); p != "" && err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else {
			t.Fatal("these tests need chromium: apt-get install -y chromium (or set PLUGBOARD_CHROMIUM)")
		}
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &approver{t: t, ctx: ctx}
}

// decide opens the approval page a client was given, signs in the first
// time, checks that the page shows the exact request, and approves or
// denies with comment.
func (a *approver) decide(page, wantRequest string, approve bool, comment string) error {
	ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
	defer cancel()
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(page)}
	if !a.signedIn {
		steps = append(steps, chromedp.WaitVisible(chromedp.CSS("#password")),
			chromedp.SetValue(chromedp.CSS("#email"), "ada@example.com"), chromedp.SetValue(chromedp.CSS("#password"), "a long enough password"),
			chromedp.Submit(chromedp.CSS("#password")))
		a.signedIn = true
	}
	button := "#deny"
	if approve {
		button = "#approve"
	}
	steps = append(steps, chromedp.WaitVisible(chromedp.CSS("#decide")))
	if err := chromedp.Do(ctx, steps...); err != nil {
		return err
	}
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#approval-request")))
	if err != nil {
		return err
	}
	if !strings.Contains(shown, wantRequest) {
		a.t.Errorf("the approval page shows %q, want %q", shown, wantRequest)
	}
	want := "denied"
	if approve {
		want = "approved"
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#comment"), comment), chromedp.Click(chromedp.CSS(button))); err != nil {
		return err
	}
	// The form post loads the page again; look until it shows the decision.
	for ctx.Err() == nil {
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#approval-status")||{textContent:""}).textContent`))
		if err == nil && shown == want {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return ctx.Err()
}

// elicitingClient decides each URL-mode elicitation in the dashboard:
// approve, or deny with comment.
func elicitingClient(t *testing.T, a *approver, e *env, approve bool, comment string) *sdk.ClientOptions {
	return &sdk.ClientOptions{
		Capabilities: &sdk.ClientCapabilities{Elicitation: &sdk.ElicitationCapabilities{URL: &sdk.URLElicitationCapabilities{}}},
		ElicitationHandler: func(ctx context.Context, req *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
			if req.Params.Mode != "url" || !strings.HasPrefix(req.Params.URL, e.srv.URL+"/approvals/apr_") {
				t.Errorf("elicitation %+v, want a URL of an approval page", req.Params)
				return &sdk.ElicitResult{Action: "decline"}, nil
			}
			if err := a.decide(req.Params.URL, "DELETE "+e.up.URL+"/v1/contacts/", approve, comment); err != nil {
				t.Errorf("decide in the dashboard: %v", err)
			}
			return &sdk.ElicitResult{Action: "accept"}, nil
		},
	}
}

// A DELETE in production waits for approval: the client opens the approval
// page (an input_required round trip on 2026-07-28, URL-mode elicitation on
// 2025-11-25), the owner approves or denies it in the dashboard, and the
// same tools/call returns the API's answer, or says it was denied.
func TestApprovalInTheDashboardAtEachRevision(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite)
	ag := e.agent(t, "janitor", client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"delete_contact"}})
	a := newApprover(t, e.srv)
	for i, rev := range []string{"2026-07-28", legacy} {
		approved := e.mustConnectAt(t, ag.Key, rev, elicitingClient(t, a, e, true, "ok by me"))
		before := e.up.deletes.Load()
		id := "c" + string(rune('1'+i))
		res, err := approved.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__delete_contact", Arguments: map[string]any{"id": id},
			Meta: sdk.Meta{"idempotency_key": "approve-" + rev}})
		if err != nil {
			t.Fatalf("%s: call: %v", rev, err)
		}
		if res.IsError || !strings.Contains(text(res), `"deleted":"`+id+`"`) {
			t.Fatalf("%s: result %s, want the API's answer", rev, text(res))
		}
		if n := e.up.deletes.Load() - before; n != 1 {
			t.Fatalf("%s: the API was called %d times, want once", rev, n)
		}

		denied := e.mustConnectAt(t, ag.Key, rev, elicitingClient(t, a, e, false, "not this one"))
		res, err = denied.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__delete_contact", Arguments: map[string]any{"id": "keep"}})
		if err != nil {
			t.Fatalf("%s: denied call: %v", rev, err)
		}
		if !res.IsError || !strings.Contains(text(res), "denied") || !strings.Contains(text(res), "not this one") {
			t.Fatalf("%s: denied result %s", rev, text(res))
		}
		if n := e.up.deletes.Load() - before; n != 1 {
			t.Fatalf("%s: a denied call reached the API", rev)
		}
	}
}

// A client that cannot open URLs is told the call waits and how to get the
// outcome; the approved call runs once, the key cannot carry another
// request, and an expired approval says so.
func TestApprovalWithoutElicitation(t *testing.T) {
	t.Parallel()
	e := newEnvOpts(t, servertest.Options{Engine: store.Postgres, Configure: func(c *config.Config) { c.ApprovalTTL = 2 * time.Second }})
	ag := e.agent(t, "janitor", client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"delete_contact"}})
	for _, rev := range []string{"2026-07-28", legacy} {
		cs := e.mustConnectAt(t, ag.Key, rev, nil)
		key := "plain-" + rev
		call := func(id string) *sdk.CallToolResult {
			t.Helper()
			res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__delete_contact", Arguments: map[string]any{"id": id}, Meta: sdk.Meta{"idempotency_key": key}})
			if err != nil {
				t.Fatalf("%s: call: %v", rev, err)
			}
			return res
		}
		first := call("c9")
		ap, _ := first.StructuredContent.(map[string]any)["approval"].(map[string]any)
		if first.IsError || ap["status"] != "pending" || !strings.Contains(text(first), "Waiting for approval") || !strings.Contains(text(first), key) {
			t.Fatalf("%s: first call %s", rev, text(first))
		}
		page, _ := ap["url"].(string)
		// The approved request cannot be swapped for another under its key.
		if swap := call("c8"); !swap.IsError || !strings.Contains(text(swap), "other params") {
			t.Fatalf("%s: swapped call %s", rev, text(swap))
		}
		apID := page[strings.LastIndex(page, "/")+1:]
		if err := e.srv.Client.Do(e.ctx, "POST", "/v1/approvals/"+url.PathEscape(apID)+"/approve", map[string]string{"comment": "fine"}, nil); err != nil {
			t.Fatal(err)
		}
		before := e.up.deletes.Load()
		if done := call("c9"); done.IsError || !strings.Contains(text(done), `"deleted":"c9"`) {
			t.Fatalf("%s: approved call %s", rev, text(done))
		}
		if again := call("c9"); again.Meta["idempotent_replay"] != true {
			t.Fatalf("%s: repeat %s %v", rev, text(again), again.Meta)
		}
		if n := e.up.deletes.Load() - before; n != 1 {
			t.Fatalf("%s: the API was called %d times, want once", rev, n)
		}
	}
	// Expired: nobody decided in time.
	cs := e.mustConnectAt(t, ag.Key, legacy, nil)
	ask := func() *sdk.CallToolResult {
		res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__delete_contact", Arguments: map[string]any{"id": "late"}, Meta: sdk.Meta{"idempotency_key": "late"}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ask()
	time.Sleep(2100 * time.Millisecond)
	if res := ask(); !res.IsError || !strings.Contains(text(res), "expired") {
		t.Fatalf("expired call %s", text(res))
	}
}

// The official TypeScript SDK's client opens the approval page through
// URL-mode elicitation; the owner approves it in the dashboard and the
// client gets the API's answer, sent once.
func TestApprovalWithTheTypeScriptClient(t *testing.T) {
	t.Parallel()
	nodePackage(t, filepath.Join("@modelcontextprotocol", "sdk", "package.json"))
	e := newEnv(t, store.SQLite)
	ag := e.agent(t, "typescript", client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"delete_contact"}})
	a := newApprover(t, e.srv)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.decide(r.URL.Query().Get("url"), "DELETE "+e.up.URL+"/v1/contacts/ts1", true, "from the TypeScript test"); err != nil {
			t.Errorf("decide in the dashboard: %v", err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	t.Cleanup(hook.Close)
	out := runNode(t, node22(t), []string{
		"PLUGBOARD_MCP_URL=" + e.srv.URL + "/mcp", "PLUGBOARD_AGENT_KEY=" + ag.Key, "PLUGBOARD_TOOL=test_crm__delete_contact",
		"PLUGBOARD_TOOL_ARGS=" + `{"id": "ts1"}`, "PLUGBOARD_IDEMPOTENCY_KEY=ts-approval", "PLUGBOARD_HOOK=" + hook.URL,
	}, "check-approval.mjs")
	var seen struct {
		Elicitations []struct{ Mode, URL string }
		First        struct {
			IsError bool
			Content []struct{ Text string }
		}
		Repeat struct {
			Meta map[string]any `json:"_meta"`
		}
	}
	if err := json.Unmarshal(out, &seen); err != nil {
		t.Fatalf("decode %.2000s: %v", out, err)
	}
	if len(seen.Elicitations) != 1 || seen.Elicitations[0].Mode != "url" || !strings.Contains(seen.Elicitations[0].URL, "/approvals/apr_") {
		t.Fatalf("elicitations = %+v", seen.Elicitations)
	}
	if seen.First.IsError || len(seen.First.Content) == 0 || !strings.Contains(seen.First.Content[0].Text, `"deleted":"ts1"`) {
		t.Fatalf("first call = %+v", seen.First)
	}
	if seen.Repeat.Meta["idempotent_replay"] != true || e.up.deletes.Load() != 1 {
		t.Fatalf("repeat = %+v after %d deletes", seen.Repeat, e.up.deletes.Load())
	}
}
