package web_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

var shownSecret = regexp.MustCompile(`readonly value="([^"]+)"`)

// The agent page gives a new key once and the old one stops working; the
// webhook page installs a new signing secret and shows it once.
func TestRotatingKeysAndSecretsInThePages(t *testing.T) {
	t.Parallel()
	in := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	var agent struct{ ID, Key string }
	if err := in.Client.Do(ctx, "POST", "/v1/agents", map[string]any{"name": "Bot", "tools": []any{}}, &agent); err != nil {
		t.Fatal(err)
	}
	var hook struct{ ID string }
	if err := in.Client.Do(ctx, "POST", "/v1/webhooks", map[string]any{"name": "GitHub", "source": "github", "secret": "first-secret"}, &hook); err != nil {
		t.Fatal(err)
	}
	s := servertest.NewSite(t, in.URL)
	s.SetPassword(firstLink(t, in), "ada@example.com", "a long enough password")

	s.Get("/agents/" + agent.ID)
	code, page, _ := s.Post("/agents/"+agent.ID+"/rotate", url.Values{})
	m := shownSecret.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil || !strings.HasPrefix(m[1], "pba_") || m[1] == agent.Key {
		t.Fatalf("rotate agent key: %d, shown %v", code, m)
	}
	mcp := func(key string) int {
		req, _ := http.NewRequest("POST", in.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := mcp(agent.Key); got != http.StatusUnauthorized {
		t.Fatalf("the old agent key still opens /mcp: %d", got)
	}

	s.Get("/webhooks/" + hook.ID)
	code, page, _ = s.Post("/webhooks/"+hook.ID+"/rotate", url.Values{"secret": {"second-secret"}})
	if m := shownSecret.FindAllStringSubmatch(page, -1); code != http.StatusOK || len(m) < 2 || m[1][1] != "second-secret" {
		t.Fatalf("rotate webhook secret: %d, shown %v", code, m)
	}
	// The new secret signs test events, and the old one still verifies
	// during the grace period.
	var test struct{ Status int }
	if err := in.Client.Do(ctx, "POST", "/v1/webhooks/"+hook.ID+"/test", nil, &test); err != nil || test.Status != 200 {
		t.Fatalf("test event after rotation: %+v %v", test, err)
	}
	body := `{"zen": "old secret"}`
	mac := hmac.New(sha256.New, []byte("first-secret"))
	mac.Write([]byte(body))
	req, _ := http.NewRequest("POST", in.URL+"/hooks/"+hook.ID, strings.NewReader(body))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	req.Header.Set("X-GitHub-Delivery", "old-secret-delivery")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a delivery signed with the previous secret: %d, want 200 during the grace period", resp.StatusCode)
	}
}
