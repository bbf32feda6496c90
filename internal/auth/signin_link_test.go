package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
)

var signInLink = regexp.MustCompile(`http://[^\s"]+/integrations/[^\s"/]+/connect/production\?for=[A-Za-z0-9_]+`)

// An agent acting for a person calls a tool of an integration that needs
// each member's own connection, which the person does not have. The call
// returns a link; the person follows it through Plugboard's page and the
// real authorization server, and the same call then succeeds. A client
// that opens URLs gets the link as a URL elicitation and the call goes on
// by itself; another gets a tool error with the link and the words to
// show the person.
func TestSignInLinkInsideAToolCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pb := servertest.Start(t, servertest.Options{})
	p := startIdP(t, pb.URL+"/oauth/callback")
	api := startResourceAPI(t, p, webClient, webSecret)
	def := strings.Replace(string(oauthDef("Calendar", p, api, "authorization_code")), `"actions":`, `"personal_connections": true, "actions":`, 1)
	in, err := pb.Client.CreateIntegration(ctx, json.RawMessage(def))
	if err != nil {
		t.Fatal(err)
	}
	// The organization's shared connection holds only the OAuth client.
	if _, err := pb.Client.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "production",
		Credentials: map[string]string{"client_id": webClient, "client_secret": webSecret}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pb.Client.Deploy(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	var me struct{ User struct{ ID string } }
	if err := pb.Client.Do(ctx, "GET", "/v1/me", nil, &me); err != nil {
		t.Fatal(err)
	}
	ag, err := pb.Client.CreateAgent(ctx, "assistant", []client.AgentGrant{{Integration: in.ID, Environment: "production", RunAs: me.User.ID}})
	if err != nil {
		t.Fatal(err)
	}
	site := pb.SignInOwner(t)
	// follow is the person opening the link: Plugboard's page, its button,
	// then signing in at the provider.
	follow := func(link string) {
		t.Helper()
		if code, body := site.Get(link); code != http.StatusOK || !strings.Contains(body, "Connect your Calendar account") {
			t.Fatalf("the link's page: %d\n%s", code, body)
		}
		u, _ := url.Parse(link)
		code, _, h := site.Post(u.Path, url.Values{})
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), p.Auth) {
			t.Fatalf("Continue: %d to %q", code, h.Get("Location"))
		}
		if status, page := newBrowser(t).authorize(h.Get("Location")); status != http.StatusOK || !strings.Contains(page, "Connected") {
			t.Fatalf("callback page: %d %s", status, page)
		}
	}
	mcpClient := func(rev string, opts *sdk.ClientOptions) *sdk.ClientSession {
		c := sdk.NewClient(&sdk.Implementation{Name: "assistant", Version: "1"}, opts)
		cs, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: pb.URL + "/mcp", HTTPClient: &http.Client{Transport: servertest.Bearer(ag.Key)}, MaxRetries: -1},
			&sdk.ClientSessionOptions{ProtocolVersion: rev})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cs.Close() })
		return cs
	}
	tool := in.Slug + "__who_am_i"
	call := func(cs *sdk.ClientSession, key string) *sdk.CallToolResult {
		t.Helper()
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: map[string]any{}, Meta: sdk.Meta{"idempotency_key": key}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	// A client of 2025-11-25 without elicitation: a tool error with the link.
	plain := mcpClient("2025-11-25", nil)
	first := call(plain, "k1")
	link := signInLink.FindString(textOf(first))
	if !first.IsError || link == "" || !strings.Contains(textOf(first), "ada@example.com") {
		t.Fatalf("first call: %s", textOf(first))
	}
	if api.calls.Load() != 0 {
		t.Fatal("the API was called through the shared connection")
	}
	follow(link)
	if again := call(plain, "k1"); again.IsError || !strings.Contains(textOf(again), `"ok":true`) {
		t.Fatalf("after connecting: %s", textOf(again))
	}

	// The connection lapses; a client of 2026-07-28 that opens URLs is asked
	// to, and the same call goes on once the person has connected again.
	conns, err := pb.Client.ListConnections(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		if c.UserID != "" {
			if err := pb.Client.Do(ctx, "DELETE", "/v1/integrations/"+in.ID+"/connections/"+c.ID, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	asked := 0
	eliciting := mcpClient("2026-07-28", &sdk.ClientOptions{
		Capabilities: &sdk.ClientCapabilities{Elicitation: &sdk.ElicitationCapabilities{URL: &sdk.URLElicitationCapabilities{}}},
		ElicitationHandler: func(ctx context.Context, req *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
			asked++
			if req.Params.Mode != "url" || !signInLink.MatchString(req.Params.URL) {
				t.Errorf("elicitation %+v", req.Params)
				return &sdk.ElicitResult{Action: "decline"}, nil
			}
			follow(req.Params.URL)
			return &sdk.ElicitResult{Action: "accept"}, nil
		},
	})
	if res := call(eliciting, "k2"); res.IsError || asked != 1 || !strings.Contains(textOf(res), `"ok":true`) {
		t.Fatalf("with URL elicitation: asked %d times, %s", asked, textOf(res))
	}
	var list []client.Connection
	if list, err = pb.Client.ListConnections(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	active := 0
	for _, c := range list {
		if c.Status == store.ConnActive {
			active++
		}
	}
	if active != 1 {
		t.Fatalf("connections %+v, want the person's own one active", list)
	}
}

func textOf(res *sdk.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}
