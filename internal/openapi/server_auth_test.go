package openapi

import (
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
)

const onePath = `
paths:
  /ping:
    get: {operationId: ping, responses: {"200": {description: ok}}}
`

func TestImportServers(t *testing.T) {
	t.Parallel()
	servers := `openapi: 3.0.3
info: {title: Servers, version: "1"}
servers:
  - url: "https://{region}.api.example.com/{version}/"
    variables:
      region: {default: eu, enum: [eu, us]}
      version: {default: v2}
  - url: /relative
  - url: "https://{tenant}.example.com"
    variables:
      tenant: {default: ""}
` + onePath
	tests := []struct {
		name    string
		opts    Options
		want    string
		wantErr string
	}{
		{"variables take their defaults", Options{}, "https://eu.api.example.com/v2", ""},
		{"override", Options{ServerURL: "https://sandbox.example.com/api/"}, "https://sandbox.example.com/api", ""},
		{"relative", Options{ServerIndex: 1}, "", "set ServerURL"},
		{"variable without default", Options{ServerIndex: 2}, "", "variables without a default value (tenant)"},
		{"out of range", Options{ServerIndex: 3}, "", "ServerIndex 3 is out of range"},
		{"override must be absolute", Options{ServerURL: "api.example.com"}, "", "ServerURL: it is relative"},
		{"override must be http", Options{ServerURL: "ftp://api.example.com"}, "", `scheme "ftp"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			def, _, err := Import(t.Context(), []byte(servers), tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertEqual(t, "base URL", def.BaseURL, tc.want)
		})
	}

	noServers := "openapi: 3.0.3\ninfo: {title: None, version: \"1\"}\n" + onePath
	if _, _, err := Import(t.Context(), []byte(noServers), Options{}); err == nil || !strings.Contains(err.Error(), "declares no server; set ServerURL") {
		t.Errorf("no servers: err = %v", err)
	}
}

func TestImportSwagger2YAML(t *testing.T) {
	t.Parallel()
	// An unquoted 2.0 reads as a number in YAML.
	doc := []byte(`swagger: 2.0
info: {title: Old, version: "1"}
host: old.example.com
basePath: /api
schemes: [https]
securityDefinitions:
  token: {type: oauth2, flow: application, tokenUrl: "https://old.example.com/token", scopes: {read: Read things}}
paths:
  /things:
    get:
      operationId: listThings
      parameters: [{name: q, in: query, type: string}]
      responses: {"200": {description: ok}}
`)
	def, _ := mustImport(t, doc, Options{})
	assertEqual(t, "base URL", def.BaseURL, "https://old.example.com/api")
	assertEqual(t, "auth", def.Auth, connector.Auth{
		Type: "oauth2", Grant: "client_credentials", TokenURL: "https://old.example.com/token", Scopes: []string{"read"},
	})
	assertEqual(t, "q", param(t, action(t, def, "list_things"), "q").Schema, map[string]any{"type": "string"})
}

func TestImportAuth(t *testing.T) {
	t.Parallel()
	pkce := true
	tests := []struct {
		name     string
		schemes  string
		security string
		want     connector.Auth
		skip     string // a Skip reason expected for some scheme
	}{
		{"none declared", "{}", "", connector.Auth{Type: "none"}, ""},
		{"bearer", "jwt: {type: http, scheme: bearer, bearerFormat: JWT}", "", connector.Auth{Type: "bearer"}, ""},
		{"basic", "creds: {type: http, scheme: Basic}", "", connector.Auth{Type: "basic"}, ""},
		{"api key in query", "key: {type: apiKey, in: query, name: api_key}", "", connector.Auth{Type: "api_key", Location: "query", Key: "api_key"}, ""},
		{"api key in cookie", "key: {type: apiKey, in: cookie, name: sid}", "", connector.Auth{Type: "none"}, "API keys sent in a cookie are not supported"},
		{"openid connect", "oidc: {type: openIdConnect, openIdConnectUrl: 'https://id.example.com/.well-known/openid-configuration'}", "",
			connector.Auth{Type: "none"}, "OpenID Connect discovery is not supported"},
		{"digest", "d: {type: http, scheme: digest}", "", connector.Auth{Type: "none"}, `HTTP "digest" authentication is not supported`},
		{"authorization code with the required scopes", `oauth:
  type: oauth2
  flows:
    clientCredentials: {tokenUrl: "https://auth.example.com/token", scopes: {a: A}}
    authorizationCode:
      authorizationUrl: "https://auth.example.com/authorize"
      tokenUrl: "https://auth.example.com/token"
      scopes: {read: Read, write: Write, admin: Admin}`, "security: [{oauth: [read, write]}]",
			connector.Auth{Type: "oauth2", Grant: "authorization_code", AuthorizeURL: "https://auth.example.com/authorize",
				TokenURL: "https://auth.example.com/token", Scopes: []string{"read", "write"}, PKCE: &pkce}, ""},
		{"global requirement wins over name order", `a_key: {type: apiKey, in: header, name: X-Key}
z_bearer: {type: http, scheme: bearer}`, "security: [{z_bearer: []}]", connector.Auth{Type: "bearer"}, "not used: an integration has one auth method and z_bearer was chosen"},
		{"password flow falls back", `a_password: {type: oauth2, flows: {password: {tokenUrl: "https://a.example/token", scopes: {}}}}
b_key: {type: apiKey, in: header, name: X-Key}`, "", connector.Auth{Type: "api_key", Location: "header", Key: "X-Key"}, "OAuth 2.0 password flow is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := "openapi: 3.0.3\ninfo: {title: Auth, version: \"1\"}\nservers: [{url: \"https://api.example.com\"}]\n" +
				tc.security + "\ncomponents:\n  securitySchemes:\n" + indent(indent(tc.schemes)) + "\n" + onePath
			def, report := mustImport(t, []byte(doc), Options{})
			assertEqual(t, "auth", def.Auth, tc.want)
			if tc.skip != "" && !strings.Contains(skipReasons(report), tc.skip) {
				t.Errorf("no skip %q in %+v", tc.skip, report.Skipped)
			}
		})
	}
}

func skipReasons(r *Report) string {
	var b strings.Builder
	for _, s := range r.Skipped {
		b.WriteString(s.Operation + ": " + s.Reason + "\n")
	}
	return b.String()
}
