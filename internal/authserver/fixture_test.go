package authserver_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// The person who connects apps: a developer of the organization.
const (
	personEmail    = "dev@example.com"
	personPassword = "a long enough password"
)

// fixture is a running server with a CRM integration deployed and
// connected in both environments (the upstream tells them apart by the
// key it gets), and a developer with a password.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	srv      *servertest.Instance
	crm      *client.Integration
	upstream *crmAPI
	personID string
	// personAPI is the person's own API client, with their API key.
	personAPI *client.Client
}

// crmAPI is the API behind the integration; it answers which environment
// (key) called it, and counts calls.
type crmAPI struct {
	URL   string
	calls atomic.Int64
}

var envOfKey = map[string]string{"prod-key": "production", "sandbox-key": "sandbox", "personal-key": "the person's own production"}

func newCRMAPI(t *testing.T) *crmAPI {
	api := &crmAPI{}
	mux := http.NewServeMux()
	answer := func(w http.ResponseWriter, r *http.Request, status int, v map[string]any) {
		v["environment"] = envOfKey[r.Header.Get("X-API-Key")]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /v1/contacts", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, http.StatusOK, map[string]any{"contacts": []string{"Ada", "Grace"}})
	})
	mux.HandleFunc("POST /v1/contacts", func(w http.ResponseWriter, r *http.Request) {
		answer(w, r, http.StatusCreated, map[string]any{"id": "c1"})
	})
	srv := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.calls.Add(1)
		mux.ServeHTTP(w, r)
	}))
	api.URL = srv.URL
	return api
}

func newLoopbackServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

const crmDefinition = `{"name": "CRM", "baseUrl": %q, "auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
 "actions": [
  {"key": "list_contacts", "name": "List Contacts", "method": "GET", "endpoint": "/contacts"},
  {"key": "create_contact", "name": "Create Contact", "method": "POST", "endpoint": "/contacts", "parameters": {"name": "string"}}]}`

func newFixture(t *testing.T, opts servertest.Options) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), srv: servertest.Start(t, opts), upstream: newCRMAPI(t)}
	c := f.srv.Client
	var err error
	if f.crm, err = c.CreateIntegration(f.ctx, json.RawMessage(fmt.Sprintf(crmDefinition, f.upstream.URL+"/v1"))); err != nil {
		t.Fatalf("create integration: %v", err)
	}
	for env, key := range map[string]string{"production": "prod-key", "sandbox": "sandbox-key"} {
		if _, err := c.AddConnection(f.ctx, f.crm.ID, client.ConnectionInput{Environment: env, Credentials: map[string]string{"api_key": key}}); err != nil {
			t.Fatalf("connect %s: %v", env, err)
		}
	}
	if _, err := c.Deploy(f.ctx, f.crm.ID); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	var invited struct {
		User      struct{ ID string } `json:"user"`
		Key       string              `json:"key"`
		SigninURL string              `json:"signin_url"`
	}
	if err := c.Do(f.ctx, "POST", "/v1/users", map[string]string{"email": personEmail, "role": "developer"}, &invited); err != nil {
		t.Fatalf("invite: %v", err)
	}
	f.personID, f.personAPI = invited.User.ID, client.New(f.srv.URL, invited.Key)
	servertest.NewSite(t, f.srv.URL).SetPassword(invited.SigninURL, personEmail, personPassword)
	return f
}

// at is the fixture for a subtest, which fails t.
func (f *fixture) at(t *testing.T) *fixture {
	g := *f
	g.t = t
	return &g
}

// at is the app as the fixture g plays it.
func (a *app) at(g *fixture) *app {
	b := *a
	b.f = g
	return &b
}

// browser is a person's browser: a dashboard visitor with no session yet.
func (f *fixture) browser() *servertest.Site { return servertest.NewSite(f.t, f.srv.URL) }

// get fetches u with the visitor's cookies and does not follow redirects.
func get(t *testing.T, site *servertest.Site, u string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, "http") {
		t.Fatalf("get %q: want an absolute URL", u)
	}
	return site.Do(req)
}

// consentForm is the consent screen's form as the page sets it: the
// hidden request, and the boxes ticked and options chosen.
func consentForm(t *testing.T, page string) url.Values {
	t.Helper()
	form := url.Values{}
	m := regexp.MustCompile(`name="request" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no consent form on the page:\n%s", page)
	}
	form.Set("request", html.UnescapeString(m[1]))
	for _, box := range regexp.MustCompile(`<input type="checkbox" name="([a-z]+)"(?: value="([^"]*)")?( checked)?>`).FindAllStringSubmatch(page, -1) {
		if box[3] == "" {
			continue
		}
		value := html.UnescapeString(box[2])
		if value == "" {
			value = "on"
		}
		form.Add(box[1], value)
	}
	return form
}

// signInAndConsent is the person's part of an authorization: the browser
// opens the authorization URL, signs in through the dashboard's form,
// lands on the consent screen, and submits the form decide returns (from
// the one the page shows). It returns where the browser is sent back to
// the app.
func (f *fixture) signInAndConsent(site *servertest.Site, authorizeURL string, decide func(page string, form url.Values)) *url.URL {
	t := f.t
	t.Helper()
	code, body, h := get(t, site, authorizeURL)
	if code != http.StatusFound {
		t.Fatalf("authorize: %d\n%s", code, body)
	}
	next := f.srv.URL + h.Get("Location")
	code, body, h = get(t, site, next)
	if code == http.StatusSeeOther && strings.HasPrefix(h.Get("Location"), "/signin") {
		signin, _ := url.Parse(h.Get("Location"))
		if code, body, _ = get(t, site, f.srv.URL+signin.String()); code != http.StatusOK {
			t.Fatalf("sign-in page: %d\n%s", code, body)
		}
		code, body, h = site.Post("/signin", url.Values{"email": {personEmail}, "password": {personPassword}, "next": {signin.Query().Get("next")}})
		if code != http.StatusSeeOther {
			t.Fatalf("sign in: %d\n%s", code, body)
		}
		code, body, h = get(t, site, f.srv.URL+h.Get("Location"))
	}
	if code != http.StatusOK || !strings.Contains(body, "wants to use your tools") {
		t.Fatalf("consent screen: %d\n%s", code, body)
	}
	form := consentForm(t, body)
	decide(body, form)
	code, body, h = site.Post("/oauth/consent", form)
	if code != http.StatusSeeOther {
		t.Fatalf("consent: %d\n%s", code, body)
	}
	back, err := url.Parse(h.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// approveAll allows what the consent screen offers as it stands.
func approveAll(_ string, form url.Values) { form.Set("decision", "approve") }

// pkce is a code verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = strings.Repeat("v", 20) + fmt.Sprint(randomN()) + strings.Repeat("x", 30)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

var counter atomic.Int64

func randomN() int64 { return counter.Add(1) }

// app is an OAuth client the test plays by hand.
type app struct {
	f        *fixture
	id       string
	secret   string
	redirect string
}

// register registers a client dynamically with metadata (defaults: a
// public native app with a loopback redirect that may refresh).
func (f *fixture) register(meta map[string]any) *app {
	f.t.Helper()
	body := map[string]any{
		"client_name": "Hand-made client", "redirect_uris": []string{"http://127.0.0.1:7777/callback"},
		"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none",
	}
	for k, v := range meta {
		body[k] = v
	}
	code, out := f.postJSON("/oauth/register", body)
	if code != http.StatusCreated {
		f.t.Fatalf("register: %d %v", code, out)
	}
	a := &app{f: f, id: out["client_id"].(string), redirect: body["redirect_uris"].([]string)[0]}
	if s, ok := out["client_secret"].(string); ok {
		a.secret = s
	}
	return a
}

func (f *fixture) postJSON(path string, body any) (int, map[string]any) {
	f.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(f.srv.URL+path, "application/json", strings.NewReader(string(b)))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// authorizeURL is the authorization request of a, with extra parameters
// set over the defaults (PKCE S256, the /mcp resource, both scopes).
func (a *app) authorizeURL(challenge string, extra url.Values) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {a.id}, "redirect_uri": {a.redirect}, "state": {"st-" + fmt.Sprint(randomN())},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "resource": {a.f.srv.URL + "/mcp"},
		"scope": {"mcp:tools offline_access"},
	}
	for k, v := range extra {
		q[k] = v
	}
	for k, v := range q {
		if len(v) == 1 && v[0] == "" {
			delete(q, k)
		}
	}
	return a.f.srv.URL + "/oauth/authorize?" + q.Encode()
}

// tokens are a token endpoint's answer.
type tokens struct {
	Status       int
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

// token posts a form to the token endpoint with a's credentials.
func (a *app) token(form url.Values) tokens {
	a.f.t.Helper()
	if a.secret == "" {
		form.Set("client_id", a.id)
	}
	req, _ := http.NewRequest(http.MethodPost, a.f.srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if a.secret != "" {
		req.SetBasicAuth(url.QueryEscape(a.id), url.QueryEscape(a.secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out tokens
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	out.Status = resp.StatusCode
	return out
}

func (a *app) exchange(code, verifier string, extra url.Values) tokens {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "redirect_uri": {a.redirect}}
	for k, v := range extra {
		form[k] = v
	}
	return a.token(form)
}

func (a *app) refresh(refreshToken string) tokens {
	return a.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// code runs the person's part of a sign-in (approving all) and returns
// the code with its verifier.
func (a *app) code(site *servertest.Site) (code, verifier string) {
	a.f.t.Helper()
	verifier, challenge := pkce()
	back := a.f.signInAndConsent(site, a.authorizeURL(challenge, nil), approveAll)
	if code = back.Query().Get("code"); code == "" {
		a.f.t.Fatalf("no code in %s", back)
	}
	return code, verifier
}

// connect runs a whole sign-in by hand: authorization, the person's
// consent (decide), the code exchange.
func (a *app) connect(site *servertest.Site, decide func(string, url.Values)) tokens {
	a.f.t.Helper()
	verifier, challenge := pkce()
	back := a.f.signInAndConsent(site, a.authorizeURL(challenge, nil), decide)
	tok := a.exchange(back.Query().Get("code"), verifier, nil)
	if tok.Status != http.StatusOK || tok.AccessToken == "" {
		a.f.t.Fatalf("exchange: %+v", tok)
	}
	return tok
}

// mcpCall posts one JSON-RPC message to /mcp with a bearer token and
// returns the status, the WWW-Authenticate header and the body.
func (f *fixture) mcpCall(token, sessionID, message string) (int, string, string, http.Header) {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/mcp", strings.NewReader(message))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if sessionID != "" {
		req.Header.Set("Mcp-Session-Id", sessionID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b), resp.Header
}

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// mcpStatus is the status /mcp answers an initialize with token.
func (f *fixture) mcpStatus(token string) (int, string, string) {
	code, challenge, body, _ := f.mcpCall(token, "", initialize)
	return code, challenge, body
}
