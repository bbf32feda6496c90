package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestBrowserConnectAnApp: an MCP client that registered itself sends the
// owner's browser to Plugboard's authorization endpoint. The consent
// screen names the app and where it sends the person back; the owner
// keeps one tool of the two, in the sandbox, and allows. The browser
// lands on the app's loopback callback with a code (the page's
// form-action lets the answer leave for it), the code buys a token, and
// the token lists exactly the tool approved. Connected apps then lists it.
func TestBrowserConnectAnApp(t *testing.T) {
	t.Parallel()
	chromium(t)
	up, _ := crmUpstream(t)
	in := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	deployCRM(t, in, up.URL)

	// The app: its loopback callback, and its registration.
	answers := make(chan url.Values, 1)
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answers <- r.URL.Query()
		_, _ = w.Write([]byte("Signed in. You can close this window."))
	}))
	t.Cleanup(callback.Close)
	redirect := callback.URL + "/callback"
	var reg struct {
		ClientID string `json:"client_id"`
	}
	body, _ := json.Marshal(map[string]any{"client_name": "Acme Desktop", "redirect_uris": []string{redirect}, "token_endpoint_auth_method": "none"})
	resp, err := http.Post(in.URL+"/oauth/register", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&reg)
	resp.Body.Close()
	verifier := "browser-test-verifier-" + strings.Repeat("0123456789", 4)
	sum := sha256.Sum256([]byte(verifier))
	authorize := in.URL + "/oauth/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {reg.ClientID}, "redirect_uri": {redirect}, "state": {"s-42"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"resource": {in.URL + "/mcp"}, "scope": {"mcp:tools"},
	}.Encode()

	b := newBrowser(t, in.URL)
	b.signInFirst(firstLink(t, in), "ada@example.com", "a long enough password")
	b.do("open the app's sign-in link", chromedp.Navigate(authorize))
	b.waitText("main h1", "Acme Desktop wants to use your tools")
	b.waitText("#redirect-host", strings.TrimPrefix(callback.URL, "http://"))
	b.shot("consent")
	b.do("keep one tool, in the sandbox, and allow",
		click("input[name=grant]"), click(`input[name=action][value$=":create_contact"]`),
		chromedp.SetValue(chromedp.CSS("select[name^='env:']"), "sandbox"),
		click("button[value=approve]"))

	var q url.Values
	select {
	case q = <-answers:
	case <-time.After(30 * time.Second):
		t.Fatal("the browser never reached the app's callback")
	}
	if q.Get("state") != "s-42" || q.Get("iss") != in.URL || q.Get("code") == "" {
		t.Fatalf("the app got %v", q)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "code_verifier": {verifier}, "redirect_uri": {redirect}, "client_id": {reg.ClientID}}
	resp, err = http.PostForm(in.URL+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "acme-desktop", Version: "1"}, nil).Connect(ctx,
		&sdk.StreamableClientTransport{Endpoint: in.URL + "/mcp", HTTPClient: &http.Client{Transport: servertest.Bearer(tok.AccessToken)}, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatalf("connect with the app's token: %v", err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var approved []string
	for _, tl := range tools.Tools {
		if tl.Name != "read_result" { // an agent's own tool for results too large to send whole
			approved = append(approved, tl.Name)
		}
	}
	if len(approved) != 1 || !strings.HasSuffix(approved[0], "__create_contact") {
		t.Fatalf("the app's tools = %v; want the one approved", approved)
	}

	b.open("/apps")
	b.waitText("main .list", "Acme Desktop")
	b.waitText("main .list", approved[0])
	b.shot("connected-apps")
}
