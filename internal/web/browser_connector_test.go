package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/vault"
)

const crmKey = "crm_live_4f9a1c2e7b3d"

// crmUpstream is a local stand-in for the seed's Custom CRM: it wants the
// key in X-API-Key and creates and reads contacts.
func crmUpstream(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var created atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/contacts", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != crmKey {
			http.Error(w, `{"error":"bad key"}`, http.StatusUnauthorized)
			return
		}
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
			return
		}
		created.Add(1)
		in["id"] = "ct_1001"
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(in)
	})
	mux.HandleFunc("GET /v1/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": r.PathValue("id"), "name": "Ada Lovelace"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &created
}

// TestBrowserBuildsTheSeedCRM drives the real pages: sign in, build the
// seed's Custom CRM through the four steps, add a connection, run Create
// Contact against a local upstream, deploy, and check that the forms and
// the JSON round-trip exactly.
func TestBrowserBuildsTheSeedCRM(t *testing.T) {
	t.Parallel()
	chromium(t)
	up, created := crmUpstream(t)
	in := servertest.Start(t, servertest.Options{})
	b := newBrowser(t, in.URL)

	b.signInFirst(firstLink(t, in), "ada@example.com", "a long enough password")
	b.shot("integrations-empty")

	// Step 1: API details, first with a mistake shown next to its field.
	b.open("/integrations/new")
	b.do("fill the API details with a bad base URL",
		fill("#f-name", "Custom CRM"), fill("#f-baseUrl", "ftp://crm.example"),
		chromedp.SetValue(chromedp.CSS("#f-auth-type"), connector.AuthAPIKey),
		fill("#f-auth-key", "X-API-Key"), fill("#f-documentationUrl", "https://docs.customcrm.example"),
	)
	b.shot("connector-1-details")
	b.do("submit the details", click("form[action='/integrations/new'] button[type=submit]"))
	b.waitText("#f-baseUrl-error", "http")
	b.do("fix the base URL", fill("#f-baseUrl", up.URL+"/v1"), click("form[action='/integrations/new'] button[type=submit]"))

	// Step 2: the first action, Create Contact, with three body parameters.
	b.do("wait for the action form", chromedp.WaitVisible(chromedp.CSS("#a-name")))
	b.do("add a third parameter row with the button", click("[data-add-row]"), chromedp.WaitVisible(chromedp.CSS("#p2-name")))
	b.do("fill Create Contact",
		fill("#a-name", "Create Contact"), chromedp.SetValue(chromedp.CSS("#a-method"), "POST"), fill("#a-endpoint", "/contacts"),
		fill("#p0-name", "name"), fill("#p1-name", "email"), fill("#p2-name", "phone"),
	)
	b.shot("connector-2-action")
	b.do("save the integration", click("form[action='/integrations/new/action'] button[type=submit]"))
	b.waitText(".flash", "Created Custom CRM")

	// A second action, Get Contact; a missing slash is reported at the endpoint.
	b.do("add Get Contact", click("a[href$='/actions/new']"), chromedp.WaitVisible(chromedp.CSS("#a-name")))
	b.do("fill Get Contact", fill("#a-name", "Get Contact"), fill("#a-endpoint", "contacts/{id}"), fill("#p0-name", "id"),
		click("form.stack button[type=submit].primary"))
	b.waitText("#a-endpoint-error", "must start with '/'")
	b.do("fix the endpoint", fill("#a-endpoint", "/contacts/{id}"), click("form.stack button[type=submit].primary"))
	b.waitText(".flash", "Saved Get Contact")
	b.shot("connector-2-actions")

	// The integration built through the forms is the seed's, exactly.
	seed := strings.Replace(seedCRM, "https://api.customcrm.com/v1", up.URL+"/v1", 1)
	want, err := connector.Parse([]byte(seed))
	if err != nil {
		t.Fatal(err)
	}
	want.DocumentationURL = "https://docs.customcrm.example"
	target, err := in.Server.Executor.Load(context.Background(), orgOf(t, in), "custom_crm", connector.Sandbox, executor.VersionLatest)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustJSON(t, target.Definition), mustJSON(t, want); got != want {
		t.Fatalf("the forms built\n%s\nwant the seed's\n%s", got, want)
	}
	id := target.Integration.ID
	versions := target.Integration.LatestVersion

	// Connection: an API key for sandbox, never shown again.
	b.open("/integrations/" + id + "/connections")
	b.do("add the sandbox key", fill("#sandbox-api_key", crmKey), click("#env-sandbox ~ details form button[type=submit]"))
	b.waitText("#conn-sandbox-shared", "set")
	b.shot("connections")

	// Step 3: run Create Contact and see the request and the answer. The
	// step names the connection a run uses, now that there is one.
	b.open("/integrations/" + id + "/test?action=create_contact")
	b.waitText("#test-connection", "Runs use the sandbox connection: con_")
	if got := b.text("#test-connection"); strings.Contains(got, "add one") {
		t.Fatalf("the test step asks for a connection that exists: %q", got)
	}
	b.open("/integrations/" + id + "/test?action=create_contact&environment=production")
	b.waitText("#test-connection", "There is no production connection yet; add one under Connections.")
	b.open("/integrations/" + id + "/test?action=create_contact")
	b.do("fill the generated form", fill("#param-name", "Ada Lovelace"), fill("#param-email", "ada@example.com"), fill("#param-phone", "+44 20 7946 0000"), click("#run"))
	b.waitText("#test-status", "HTTP 201")
	b.waitText("#test-response", "ct_1001")
	b.waitText("#test-request", "POST "+up.URL+"/v1/contacts")
	b.waitText("#test-request", "ada@example.com")
	if req := b.text("#test-request"); strings.Contains(req, crmKey) {
		t.Fatalf("the test page shows the API key:\n%s", req)
	}
	if created.Load() != 1 {
		t.Fatalf("upstream saw %d creations, want 1", created.Load())
	}
	b.shot("connector-3-test")

	// Step 4: one click deploys and lists the tools agents see.
	b.open("/integrations/" + id + "/deploy")
	b.do("deploy", click("#deploy"))
	b.waitText(".flash", "Deployed v")
	b.waitText("#live-tools", "custom_crm__create_contact")
	b.waitText("#live-tools", "custom_crm__get_contact")
	b.shot("connector-4-deploy")
	b.open("/")
	b.shot("integrations")

	// The call shows in the call log and the charts.
	b.reloadUntil("/integrations/"+id+"/monitor", "#totals", "1 call ")
	b.waitText(".charts", "Calls per minute")
	b.shot("monitor")
	b.reloadUntil("/logs?integration="+id, "#logs", "create_contact")
	b.shot("call-log")
	b.do("open the call", click("#logs tbody tr:first-child a"))
	b.waitText("main", "X-Api-Key: [REDACTED]")
	b.shot("call-log-detail")

	// Usable at a phone's width: nothing scrolls sideways.
	b.phone(true)
	for _, p := range []string{"/", "/integrations/" + id, "/integrations/" + id + "/actions/create_contact", "/integrations/" + id + "/test", "/integrations/" + id + "/connections", "/logs", "/integrations/" + id + "/monitor", "/integrations/" + id + "/deploy", "/integrations/" + id + "/json", "/integrations/new", "/webhooks", "/agents", "/members"} {
		b.fitsWidth(p)
		b.labelled(p)
	}
	b.open("/integrations/" + id + "/test")
	b.shot("phone-test")
	b.open("/")
	b.shot("phone-integrations")
	b.phone(false)

	// An agent gets the deployed tools; its key and MCP settings show once.
	b.open("/agents")
	b.do("create an agent with every CRM tool", fill("#ag-name", "Support bot"), click("input[name=grant][value='"+id+"']"),
		click("form[action='/agents'] button[type=submit]"))
	b.waitText("main h1", "Support bot is ready")
	b.waitText("#agent-tools", "custom_crm__create_contact")
	key, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#agent-key")))
	settings, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#mcp-config")))
	if !strings.HasPrefix(key, "pba_") || !strings.Contains(settings, "Bearer "+key) || !strings.Contains(settings, in.URL+"/mcp") {
		t.Fatalf("agent key %q, MCP settings:\n%s", key, settings)
	}
	b.shot("agent-created")
	// The agent's page shows the settings as a person copies them: the
	// placeholder for the key reads <the agent key>, not \u003c….
	b.do("open the agent's page", click("main a.button[href^='/agents/']"))
	b.waitText("main h1", "Support bot")
	page, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#mcp-config")))
	if !strings.Contains(page, `"Authorization": "Bearer <the agent key>"`) || strings.Contains(page, `\u003c`) {
		t.Fatalf("the agent page's client settings read:\n%s", page)
	}
	b.shot("agent")
	b.phone(true)
	b.fitsWidth(b.location())
	b.shot("phone-agent")
	b.phone(false)

	// Form and JSON round-trip: saving any of them unchanged adds nothing.
	for _, page := range []struct{ path, button string }{
		{"/integrations/" + id, "form.stack button[type=submit].primary"},
		{"/integrations/" + id + "/actions/create_contact", "form.stack button[type=submit].primary"},
		{"/integrations/" + id + "/actions/get_contact", "form.stack button[type=submit].primary"},
		{"/integrations/" + id + "/json", "form.stack button[type=submit].primary"},
	} {
		b.open(page.path)
		b.do("save "+page.path+" unchanged", click(page.button))
		b.waitText(".flash", "Nothing changed.")
	}
	b.shot("connector-json")
	after, err := in.Server.Store.GetIntegration(context.Background(), orgOf(t, in), id)
	if err != nil {
		t.Fatal(err)
	}
	if after.LatestVersion != versions {
		t.Fatalf("saving unchanged forms made version %d from %d", after.LatestVersion, versions)
	}

	// An edit in the JSON shows in the form.
	b.open("/integrations/" + id + "/json")
	doc, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#definition")))
	if err != nil || !strings.Contains(doc, `"Get Contact"`) {
		t.Fatalf("JSON tab: %v\n%s", err, doc)
	}
	b.do("rename an action in the JSON", fill("#definition", strings.Replace(doc, `"Get Contact"`, `"Fetch Contact"`, 1)),
		click("form.stack button[type=submit].primary"))
	b.waitText(".flash", "Saved the definition")
	b.open("/integrations/" + id + "/actions/get_contact")
	b.do("read the renamed action", chromedp.WaitVisible(chromedp.CSS("#a-name")))
	if v, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#a-name"))); v != "Fetch Contact" {
		t.Fatalf("action form shows name %q after the JSON edit, want Fetch Contact", v)
	}
}

// seedCRM is the seed's example, as published.
const seedCRM = `{
  "name": "Custom CRM",
  "baseUrl": "https://api.customcrm.com/v1",
  "auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
  "actions": [
    {"name": "Create Contact", "method": "POST", "endpoint": "/contacts",
     "parameters": {"name": "string", "email": "string", "phone": "string"}},
    {"name": "Get Contact", "method": "GET", "endpoint": "/contacts/{id}",
     "parameters": {"id": "string"}}
  ]
}`

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func orgOf(t *testing.T, in *servertest.Instance) string {
	t.Helper()
	p, err := in.Server.Store.PrincipalByKeyHash(context.Background(), vault.HashToken(in.Token))
	if err != nil {
		t.Fatal(err)
	}
	return p.Org.ID
}
