package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

func problemOf(t *testing.T, err error, status int) *client.Error {
	t.Helper()
	var pe *client.Error
	if !errors.As(err, &pe) {
		t.Fatalf("want a %d problem, got %v", status, err)
	}
	if pe.Status != status {
		t.Fatalf("want status %d, got %d: %s", status, pe.Status, pe.Detail)
	}
	return pe
}

// echoUpstream answers every request with what it received.
func echoUpstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(echo))
	t.Cleanup(srv.Close)
	return srv
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"method": r.Method, "path": r.URL.EscapedPath(), "query": r.URL.Query(), "body": string(body),
		"authorization": r.Header.Get("Authorization"), "x_token": r.Header.Get("X-Token"),
		"cookie": r.Header.Get("Cookie"), "plugboard_environment": r.Header.Get("X-Plugboard-Environment"),
	})
}

func TestRequestsNeedAValidKey(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	for _, token := range []string{"", "pb_not_a_real_key"} {
		_, err := client.New(srv.URL, token).ListIntegrations(context.Background())
		pe := problemOf(t, err, 401)
		if pe.Detail == "" {
			t.Fatal("401 without a detail")
		}
	}
}

func TestOrganizationsAreIsolated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(seedCRM))
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Key string `json:"key"`
	}
	if err := srv.Client.Do(ctx, "POST", "/v1/orgs", map[string]string{"name": "Other", "owner_email": "other@example.com"}, &created); err != nil {
		t.Fatalf("create org: %v", err)
	}
	other := client.New(srv.URL, created.Key)
	if list, err := other.ListIntegrations(ctx); err != nil || len(list) != 0 {
		t.Fatalf("other org lists %d integrations (%v)", len(list), err)
	}
	_, err = other.GetIntegration(ctx, in.ID)
	problemOf(t, err, 404)
	_, err = other.Run(ctx, in.ID, "get_contact", client.RunInput{Params: map[string]any{"id": "1"}})
	problemOf(t, err, 404)
	_, err = other.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"api_key": "x"}})
	problemOf(t, err, 404)
	problemOf(t, other.DeleteIntegration(ctx, in.ID), 404)
	// A non-admin cannot open organizations.
	err = other.Do(ctx, "POST", "/v1/orgs", map[string]string{"name": "X", "owner_email": "x@example.com"}, nil)
	problemOf(t, err, 403)
}

func TestInvalidDefinitionsListEveryProblem(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	def := `{"name": "", "baseUrl": "ftp://x", "auth": {"type": "api_key"},
		"actions": [{"name": "Get", "method": "FETCH", "endpoint": "/items/{id}"}]}`
	_, err := srv.Client.CreateIntegration(context.Background(), json.RawMessage(def))
	pe := problemOf(t, err, 400)
	fields := map[string]bool{}
	for _, fe := range pe.Errors {
		fields[fe.Field] = true
	}
	for _, want := range []string{"name", "baseUrl", "actions[0].method"} {
		if !fields[want] {
			t.Errorf("no error for %s in %+v", want, pe.Errors)
		}
	}
	_, err = srv.Client.CreateIntegration(context.Background(), json.RawMessage(`{"name": "x",`))
	problemOf(t, err, 400)
}

func TestEditingMakesADraftAndProductionRunsTheDeployedVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	up := echoUpstream(t)
	srv := servertest.Start(t, servertest.Options{})
	def := func(path string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"name": "Echo", "baseUrl": %q, "auth": {"type": "none"},
			"actions": [{"name": "Ping", "method": "GET", "endpoint": %q}]}`, up.URL, path))
	}
	in, err := srv.Client.CreateIntegration(ctx, def("/v1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = srv.Client.Run(ctx, in.ID, "ping", client.RunInput{Environment: "production", Params: map[string]any{}})
	problemOf(t, err, 409) // not deployed yet
	if _, err := srv.Client.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	up2, err := srv.Client.UpdateIntegration(ctx, in.ID, def("/v2"))
	if err != nil || up2.Version != 2 || up2.DeployedVersion != 1 || up2.Status != "draft" {
		t.Fatalf("update: %+v %v", up2, err)
	}
	path := func(env string) string {
		res, err := srv.Client.Run(ctx, in.ID, "ping", client.RunInput{Environment: env, Params: map[string]any{}})
		if err != nil {
			t.Fatalf("run in %s: %v", env, err)
		}
		var echo struct{ Path string }
		_ = json.Unmarshal(res.Body, &echo)
		return echo.Path
	}
	if got := path("production"); got != "/v1" {
		t.Fatalf("production ran %s, want the deployed /v1", got)
	}
	if got := path("sandbox"); got != "/v2" {
		t.Fatalf("sandbox ran %s, want the draft /v2", got)
	}
}

func TestAuthKindsAndProxy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	up := echoUpstream(t)
	srv := servertest.Start(t, servertest.Options{})
	// The echo comes back masked: "[REDACTED]" stands exactly where the
	// API received the credential.
	cases := []struct {
		name, auth string
		creds      map[string]string
		check      func(echo map[string]any) bool
	}{
		{"query key", `{"type": "api_key", "location": "query", "key": "access_key"}`, map[string]string{"api_key": "q-secret"},
			func(e map[string]any) bool {
				return fmt.Sprint(e["query"].(map[string]any)["access_key"]) == "[[REDACTED]]" && e["authorization"] == ""
			}},
		{"bearer", `{"type": "bearer"}`, map[string]string{"token": "b-secret"},
			func(e map[string]any) bool { return e["authorization"] == "Bearer [REDACTED]" }},
		{"basic", `{"type": "basic"}`, map[string]string{"username": "ada", "password": "p-secret"},
			func(e map[string]any) bool { return e["authorization"] == "Basic [REDACTED]" }},
	}
	for i, tc := range cases {
		def := fmt.Sprintf(`{"name": "Echo %d", "baseUrl": %q, "auth": %s,
			"actions": [{"name": "Search", "endpoint": "/search", "parameters": {"q": "string"}}]}`, i, up.URL, tc.auth)
		in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(def))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if _, err := srv.Client.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: tc.creds}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		res, err := srv.Client.Run(ctx, in.ID, "search", client.RunInput{Params: map[string]any{"q": "a b"}})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var echo map[string]any
		_ = json.Unmarshal(res.Body, &echo)
		if !tc.check(echo) || fmt.Sprint(echo["query"].(map[string]any)["q"]) != "[a b]" {
			t.Errorf("%s: upstream saw %v", tc.name, echo)
		}

		// The raw proxy injects the same credentials and passes the rest
		// through, but what describes the hop to Plugboard: the caller's own
		// key (never the API's credential), cookies, Plugboard's headers.
		req, _ := http.NewRequest("PATCH", srv.URL+"/v1/integrations/"+in.ID+"/proxy/things/7?x=1&environment=sandbox", strings.NewReader(`{"a":1}`))
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		req.Header.Set("X-Token", "kept")
		req.Header.Set("Cookie", "session=plugboard-dashboard")
		req.Header.Set("X-Plugboard-Environment", "sandbox")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(resp.Body).Decode(&echo)
		resp.Body.Close()
		if resp.StatusCode != 200 || echo["method"] != "PATCH" || echo["path"] != "/things/7" || echo["body"] != `{"a":1}` || echo["x_token"] != "kept" || !tc.check(echo) ||
			echo["cookie"] != "" || echo["plugboard_environment"] != "" {
			t.Errorf("%s: proxy: %d %v", tc.name, resp.StatusCode, echo)
		}
	}
	if strings.Contains(srv.Logs.String(), "p-secret") || strings.Contains(srv.Logs.String(), "b-secret") {
		t.Fatal("a credential reached the server log")
	}
}

func TestOutboundCallsToPrivateAddressesAreRefusedByDefault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	up := echoUpstream(t)
	srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) { c.AllowPrivateNetworks = false }})
	def := fmt.Sprintf(`{"name": "Local", "baseUrl": %q, "actions": [{"name": "Ping", "endpoint": "/"}]}`, up.URL)
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(def))
	if err != nil {
		t.Fatal(err)
	}
	_, err = srv.Client.Run(ctx, in.ID, "ping", client.RunInput{Params: map[string]any{}})
	pe := problemOf(t, err, 502)
	if !strings.Contains(pe.Detail, "127.0.0.1") || !strings.Contains(pe.Detail, "PLUGBOARD_ALLOW_PRIVATE_NETWORKS") {
		t.Fatalf("detail = %q", pe.Detail)
	}
}

func TestPlanLimitsIntegrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})
	var created struct {
		Key string `json:"key"`
	}
	if err := srv.Client.Do(ctx, "POST", "/v1/orgs", map[string]string{"name": "Small", "owner_email": "small@example.com", "plan": "free"}, &created); err != nil {
		t.Fatal(err)
	}
	c := client.New(srv.URL, created.Key)
	for i := 0; i < 3; i++ {
		_, err := c.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(`{"name": "API %d", "baseUrl": "https://example.com", "actions": [{"name": "Ping", "endpoint": "/"}]}`, i)))
		if i < 2 && err != nil {
			t.Fatalf("integration %d: %v", i, err)
		}
		if i == 2 {
			pe := problemOf(t, err, 403)
			if !strings.Contains(pe.Detail, "free plan allows 2") {
				t.Fatalf("detail = %q", pe.Detail)
			}
		}
	}
}

func TestViewersCannotChangeAnything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})
	var created struct {
		Key string `json:"key"`
	}
	if err := srv.Client.Do(ctx, "POST", "/v1/users", map[string]string{"email": "viewer@example.com", "role": "viewer"}, &created); err != nil {
		t.Fatal(err)
	}
	viewer := client.New(srv.URL, created.Key)
	_, err := viewer.CreateIntegration(ctx, json.RawMessage(seedCRM))
	problemOf(t, err, 403)
	if _, err := viewer.ListIntegrations(ctx); err != nil {
		t.Fatalf("viewer cannot read: %v", err)
	}
}
