package authserver_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// revisions are the MCP protocol revisions the sign-in is proven at; a
// revision the go-sdk client speaks is added here.
var revisions = []string{"2026-07-28", "2025-11-25"}

// personAt is the person at a browser, as the go-sdk client's code
// fetcher: it opens the authorization URL, signs in, decides on the
// consent screen, and reads the code off the redirect back to the app.
func (f *fixture) personAt(site *servertest.Site, decide func(string, url.Values)) auth.AuthorizationCodeFetcher {
	return func(_ context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
		back := f.signInAndConsent(site, args.URL, decide)
		q := back.Query()
		return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
	}
}

// connectSDK opens an MCP session with the go-sdk client, which meets the
// 401, discovers the metadata, and signs in through handler.
func connectSDK(t *testing.T, f *fixture, handler auth.OAuthHandler, revision string) *sdk.ClientSession {
	t.Helper()
	c := sdk.NewClient(&sdk.Implementation{Name: "test-desktop", Version: "1"}, nil)
	cs, err := c.Connect(f.ctx, &sdk.StreamableClientTransport{Endpoint: f.srv.URL + "/mcp", OAuthHandler: handler, MaxRetries: -1},
		&sdk.ClientSessionOptions{ProtocolVersion: revision})
	if err != nil {
		t.Fatalf("connect the MCP client: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func toolNames(t *testing.T, cs *sdk.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatalf("list tools: %v", err)
	}
	var names []string
	for _, tool := range res.Tools {
		if tool.Name == "read_result" {
			continue // every agent has it, for results too large to send whole
		}
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// callEnvironment calls a tool and returns the environment the API saw.
func callEnvironment(t *testing.T, cs *sdk.ClientSession, name string) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: map[string]any{}})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("call %s: tool error %+v", name, res.Content)
	}
	var out struct {
		Status int `json:"status"`
		Body   struct {
			Environment string `json:"environment"`
		} `json:"body"`
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil || out.Status >= 300 {
		t.Fatalf("call %s: %s", name, b)
	}
	return out.Body.Environment
}

func TestMCPClientSignsInWithDynamicRegistration(t *testing.T) {
	t.Parallel()
	for _, revision := range revisions {
		t.Run(revision, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, servertest.Options{})
			handler, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
				DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
					ClientName: "Test Desktop", RedirectURIs: []string{"http://127.0.0.1:7777/callback"},
					GrantTypes: []string{"authorization_code", "refresh_token"}, TokenEndpointAuthMethod: "none",
				}},
				AuthorizationCodeFetcher: f.personAt(f.browser(), approveAll),
				RequestRefreshToken:      true,
			})
			if err != nil {
				t.Fatal(err)
			}
			cs := connectSDK(t, f, handler, revision)
			if got := cs.InitializeResult().ProtocolVersion; got != revision {
				t.Fatalf("negotiated %s, want %s", got, revision)
			}
			if got := strings.Join(toolNames(t, cs), ","); got != "crm__create_contact,crm__list_contacts" {
				t.Fatalf("tools = %s; want every tool the person approved", got)
			}
			if env := callEnvironment(t, cs, "crm__list_contacts"); env != "production" {
				t.Fatalf("the call reached the %q environment; automatic is production once connected", env)
			}
			ts, _ := handler.TokenSource(f.ctx)
			tok, err := ts.Token()
			if err != nil || tok.RefreshToken == "" || !strings.HasPrefix(tok.AccessToken, "pbt_") {
				t.Fatalf("token = %+v, %v; want an access token and a refresh token (the client asked to stay connected)", tok, err)
			}

			// The person sees the app, with its use, in the dashboard.
			site := f.browser()
			signIn(t, site)
			code, page := site.Get("/apps")
			if code != http.StatusOK || !strings.Contains(page, "Test Desktop") || !strings.Contains(page, "crm__list_contacts") || strings.Contains(page, "last used never") {
				t.Fatalf("connected apps page: %d\n%s", code, page)
			}
		})
	}
}

func TestMCPClientSignsInWithAClientIDMetadataDocument(t *testing.T) {
	t.Parallel()
	for _, revision := range revisions {
		t.Run(revision, func(t *testing.T) {
			t.Parallel()
			doc := newClientDocument(t, "Doc Desktop", []string{"http://127.0.0.1:7778/callback"})
			f := newFixture(t, servertest.Options{Configure: func(c *config.Config) { c.CAFile = doc.caFile }})
			var consentPage string
			handler, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
				ClientIDMetadataDocumentConfig: &auth.ClientIDMetadataDocumentConfig{URL: doc.url},
				RedirectURL:                    "http://127.0.0.1:7778/callback",
				AuthorizationCodeFetcher: f.personAt(f.browser(), func(page string, form url.Values) {
					consentPage = page
					form.Set("decision", "approve")
				}),
			})
			if err != nil {
				t.Fatal(err)
			}
			cs := connectSDK(t, f, handler, revision)
			if doc.reads.Load() == 0 {
				t.Fatal("the server never read the client's metadata document")
			}
			if !strings.Contains(consentPage, "Doc Desktop") || !strings.Contains(consentPage, doc.url) || !strings.Contains(consentPage, "127.0.0.1:7778") {
				t.Fatalf("the consent screen does not say who asks and where it sends the person back:\n%s", consentPage)
			}
			if env := callEnvironment(t, cs, "crm__create_contact"); env != "production" {
				t.Fatalf("environment = %q", env)
			}
			ts, _ := handler.TokenSource(f.ctx)
			if tok, _ := ts.Token(); tok.RefreshToken != "" {
				t.Fatal("a refresh token was issued though the document does not register the refresh_token grant")
			}
		})
	}
}

// clientDocument is an MCP client's metadata document served over https
// on loopback, with the certificate authority that signs it in a PEM file.
type clientDocument struct {
	url    string
	caFile string
	reads  atomic.Int64
}

func newClientDocument(t *testing.T, name string, redirects []string) *clientDocument {
	t.Helper()
	d := &clientDocument{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.reads.Add(1)
		if r.URL.Path != "/client.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"client_id": d.url, "client_name": name, "redirect_uris": redirects,
			"grant_types": []string{"authorization_code"}, "token_endpoint_auth_method": "none",
		})
	}))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	d.url = srv.URL + "/client.json"
	d.caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(d.caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

// signIn signs the person in to the dashboard through the sign-in form.
func signIn(t *testing.T, site *servertest.Site) {
	t.Helper()
	if code, body := site.Get("/signin"); code != http.StatusOK {
		t.Fatalf("sign-in page: %d\n%s", code, body)
	}
	if code, body, _ := site.Post("/signin", url.Values{"email": {personEmail}, "password": {personPassword}, "next": {"/"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", code, body)
	}
	site.Get("/apps") // picks up the session's CSRF token
}
