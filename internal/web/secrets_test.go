package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestNoPageRendersASecret seeds every kind of stored secret (connection
// credentials, a webhook signing secret, an agent key), makes calls whose
// upstream echoes the key back, then visits every page of the dashboard it
// can reach and checks that none of them shows a secret.
func TestNoPageRendersASecret(t *testing.T) {
	t.Parallel()
	const (
		apiKey        = "crm_secret_value_0f3b9a77e1"
		bearerToken   = "bearer_secret_value_5c2d81aa"
		webhookSecret = "whsec_c2VjcmV0LXdlYmhvb2stc2lnbmluZy1rZXk="
	)
	// The upstream misbehaves: it echoes the credentials it got.
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", r.Header.Get("X-Crm-Auth")+r.Header.Get("Authorization"))
		_ = json.NewEncoder(w).Encode(map[string]any{"you_sent": r.Header.Get("X-Crm-Auth") + " " + r.Header.Get("Authorization"), "query": r.URL.RawQuery})
	}))
	t.Cleanup(up.Close)
	in := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	api := func(method, path string, body any) map[string]any {
		t.Helper()
		var out map[string]any
		if err := in.Client.Do(ctx, method, path, body, &out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return out
	}
	// A header whose name does not look secret, so only the dashboard's
	// own masking can hide it.
	crm := api("POST", "/v1/integrations", json.RawMessage(`{"name": "Echo CRM", "baseUrl": "`+up.URL+`",
		"auth": {"type": "api_key", "location": "header", "key": "X-Crm-Auth"},
		"actions": [{"name": "Ping", "method": "GET", "endpoint": "/ping", "parameters": {"q": "string"}}]}`))
	bearer := api("POST", "/v1/integrations", json.RawMessage(`{"name": "Echo Bearer", "baseUrl": "`+up.URL+`", "auth": {"type": "bearer"},
		"actions": [{"name": "Ping", "method": "GET", "endpoint": "/ping"}]}`))
	crmID, bearerID := crm["id"].(string), bearer["id"].(string)
	api("POST", "/v1/integrations/"+crmID+"/connections", map[string]any{"environment": "sandbox", "credentials": map[string]string{"api_key": apiKey}})
	api("POST", "/v1/integrations/"+bearerID+"/connections", map[string]any{"environment": "production", "credentials": map[string]string{"token": bearerToken}})
	api("POST", "/v1/integrations/"+crmID+"/deploy", nil)
	api("POST", "/v1/integrations/"+crmID+"/actions/ping/run", map[string]any{"params": map[string]any{"q": "hello"}})
	api("POST", "/v1/webhooks", map[string]any{"name": "Stripe", "source": "stripe", "secret": webhookSecret})
	agent := api("POST", "/v1/agents", map[string]any{"name": "Bot", "tools": []map[string]any{{"integration": crmID}}})
	agentKey := agent["key"].(string)
	secrets := []string{apiKey, bearerToken, webhookSecret, strings.TrimPrefix(webhookSecret, "whsec_"), agentKey, servertest.AdminToken}

	s := servertest.NewSite(t, in.URL)
	s.SetPassword(firstLink(t, in), "ada@example.com", "a long enough password")

	check := func(what, body string) {
		t.Helper()
		for _, sec := range secrets {
			if strings.Contains(body, sec) {
				t.Errorf("%s shows the secret %q", what, sec[:8]+"…")
			}
		}
	}
	// Runs from the test step: the answer echoes the key.
	s.Get("/integrations/" + crmID + "/test")
	code, body, _ := s.Post("/integrations/"+crmID+"/test", url.Values{"action": {"ping"}, "environment": {"sandbox"}, "param.q": {"hi"}})
	if code != http.StatusOK || !strings.Contains(body, "HTTP 200") || !strings.Contains(body, "[REDACTED]") {
		t.Fatalf("test run: %d\n%s", code, body)
	}
	check("the test step's result", body)
	s.Get("/integrations/" + bearerID + "/test")
	_, body, _ = s.Post("/integrations/"+bearerID+"/test", url.Values{"action": {"ping"}, "environment": {"production"}})
	check("the bearer test step's result", body)
	_, body, _ = s.Post("/webhooks/"+firstWebhook(t, s)+"/test", url.Values{})
	check("sending a test event", body)

	// Every page reachable by links, from the home page.
	link := regexp.MustCompile(`href="(/[^"#]*)"`)
	seen := map[string]bool{}
	queue := []string{"/", "/logs", "/webhooks", "/agents", "/members"}
	for len(queue) > 0 && len(seen) < 300 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] || strings.HasPrefix(p, "/static/") {
			continue
		}
		seen[p] = true
		code, body := s.Get(p)
		if code != http.StatusOK {
			t.Errorf("GET %s: %d", p, code)
			continue
		}
		check(p, body)
		for _, m := range link.FindAllStringSubmatch(body, -1) {
			next := strings.ReplaceAll(m[1], "&amp;", "&")
			if !seen[next] {
				queue = append(queue, next)
			}
		}
	}
	for _, must := range []string{"/integrations/" + crmID + "/connections", "/integrations/" + bearerID + "/connections", "/integrations/" + crmID + "/json"} {
		if !seen[must] {
			t.Errorf("the crawl never reached %s", must)
		}
	}
	if len(seen) < 25 {
		t.Errorf("the crawl saw only %d pages: %v", len(seen), seen)
	}
	t.Logf("checked %d pages", len(seen))
}

func firstWebhook(t *testing.T, s *servertest.Site) string {
	t.Helper()
	_, body := s.Get("/webhooks")
	m := regexp.MustCompile(`href="/webhooks/(wh_[a-z0-9]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no webhook listed")
	}
	s.Get("/webhooks/" + m[1])
	return m[1]
}
