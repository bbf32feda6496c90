package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestConnectStartsOAuth saves an OAuth 2.0 client for an environment and
// follows the Connect button to the provider's authorization URL.
func TestConnectStartsOAuth(t *testing.T) {
	t.Parallel()
	in := servertest.Start(t, servertest.Options{})
	var made struct{ ID string }
	if err := in.Client.Do(context.Background(), "POST", "/v1/integrations", json.RawMessage(`{"name": "Calendar", "baseUrl": "https://api.calendar.example",
		"auth": {"type": "oauth2", "grant": "authorization_code", "authorize_url": "https://id.calendar.example/authorize",
		"token_url": "https://id.calendar.example/token", "scopes": ["events.read"]},
		"actions": [{"name": "List Events", "endpoint": "/events"}]}`), &made); err != nil {
		t.Fatal(err)
	}
	s := servertest.NewSite(t, in.URL)
	s.SetPassword(firstLink(t, in), "ada@example.com", "a long enough password")
	page := "/integrations/" + made.ID + "/connections"
	s.Get(page)
	if code, body, _ := s.Post(page, url.Values{"environment": {"sandbox"}, "client_id": {"cal-client"}, "client_secret": {"cal-secret-value"}}); code != http.StatusSeeOther {
		t.Fatalf("save the client: %d\n%s", code, body)
	}
	_, body := s.Get(page)
	if strings.Contains(body, "cal-secret-value") || strings.Contains(body, "cal-client") {
		t.Fatal("the connections page shows the saved client")
	}
	m := regexp.MustCompile(`action="(/integrations/[^"]+/connect)"`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "not authorized yet") {
		t.Fatalf("no Connect button for the pending connection:\n%s", body)
	}
	code, _, h := s.Post(m[1], url.Values{})
	if code != http.StatusSeeOther {
		t.Fatalf("Connect: %d", code)
	}
	to, err := url.Parse(h.Get("Location"))
	if err != nil || to.Host != "id.calendar.example" || to.Path != "/authorize" {
		t.Fatalf("Connect sends the browser to %q", h.Get("Location"))
	}
	q := to.Query()
	if q.Get("client_id") != "cal-client" || q.Get("state") == "" || q.Get("code_challenge") == "" || q.Get("redirect_uri") != in.URL+"/oauth/callback" || q.Get("scope") != "events.read" {
		t.Fatalf("authorization URL query: %v", q)
	}
}
