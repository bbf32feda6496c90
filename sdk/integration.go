package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/worker/wire"
)

// Auth kinds, the same as for JSON integrations. The secrets belong to the
// integration's connections on the server; a worker never sees them.
const (
	AuthNone   = "none"
	AuthAPIKey = "api_key"
	AuthBasic  = "basic"
	AuthBearer = "bearer"
	AuthOAuth2 = "oauth2"
)

// Auth says how the server authenticates the integration's HTTP calls
// (those an action makes through [Call.HTTP] and its helpers).
type Auth struct {
	Type string // one of the Auth* kinds; "" means AuthNone

	// API key: where it goes ("header" or "query") and under which name.
	Location, Key string
	// Prefix goes before an API key in a header, like "Token ".
	Prefix string

	// OAuth 2.0: Grant is "authorization_code" (default) or
	// "client_credentials". The server runs the flow and refreshes tokens.
	Grant                             string
	AuthorizeURL, TokenURL, RevokeURL string
	Scopes                            []string
}

// APIKeyHeader sends the connection's API key in the named header.
func APIKeyHeader(name string) Auth { return Auth{Type: AuthAPIKey, Location: "header", Key: name} }

// APIKeyQuery sends the connection's API key as the named query parameter.
func APIKeyQuery(name string) Auth { return Auth{Type: AuthAPIKey, Location: "query", Key: name} }

// BearerToken sends the connection's token as "Authorization: Bearer …".
func BearerToken() Auth { return Auth{Type: AuthBearer} }

// BasicAuth sends the connection's username and password.
func BasicAuth() Auth { return Auth{Type: AuthBasic} }

// OAuth2 is the authorization code flow; people connect their accounts
// through the server, which keeps and refreshes the tokens.
func OAuth2(authorizeURL, tokenURL string, scopes ...string) Auth {
	return Auth{Type: AuthOAuth2, Grant: "authorization_code", AuthorizeURL: authorizeURL, TokenURL: tokenURL, Scopes: scopes}
}

// OAuth2ClientCredentials is the client credentials grant: the server
// fetches and renews tokens with the connection's client id and secret.
func OAuth2ClientCredentials(tokenURL string, scopes ...string) Auth {
	return Auth{Type: AuthOAuth2, Grant: "client_credentials", TokenURL: tokenURL, Scopes: scopes}
}

// Integration is a code-defined integration: a name, the API its actions
// call, how that API authenticates, and the actions. Agents, triggers and
// the REST API call its actions like those of any integration; the server
// hands each call to a worker running [Integration.Serve].
type Integration struct {
	// Name is shown to people and, as a slug, names the integration and
	// its tools ("Custom Tool" → custom_tool__fetch_data). Registering the
	// same name again updates the integration.
	Name        string
	Description string
	// BaseURL is the root of the API the actions call; relative URLs given
	// to the Call helpers resolve against it, and the server sends the
	// actions' requests only under it. A connection may override it.
	BaseURL string
	Auth    Auth
	// Timeout bounds each action call; 0 and anything above mean 30 s.
	Timeout time.Duration
	// Actions are made with [Action].
	Actions []*ActionDef
}

// Handle adds actions, for those who prefer it to listing them in Actions.
func (in *Integration) Handle(actions ...*ActionDef) { in.Actions = append(in.Actions, actions...) }

// Validate reports every problem that would make the server refuse the
// integration, at once. Serve calls it first.
func (in *Integration) Validate() error {
	var errs []error
	if strings.TrimSpace(in.Name) == "" {
		errs = append(errs, errors.New("sdk: Integration.Name is required"))
	}
	if u, err := url.Parse(in.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("sdk: Integration.BaseURL %q must be an absolute http(s) URL, like https://api.example.com/v1", in.BaseURL))
	}
	if len(in.Actions) == 0 {
		errs = append(errs, errors.New("sdk: the integration has no actions; add some with sdk.Action"))
	}
	seen := map[string]bool{}
	for i, a := range in.Actions {
		switch {
		case a == nil:
			errs = append(errs, fmt.Errorf("sdk: Actions[%d] is nil", i))
			continue
		case a.err != nil:
			errs = append(errs, a.err)
		case seen[a.key]:
			errs = append(errs, fmt.Errorf("sdk: two actions have the key %q", a.key))
		}
		seen[a.key] = true
	}
	return errors.Join(errs...)
}

// definition is what a worker registers.
func (in *Integration) definition() wire.Integration {
	auth := in.Auth
	if auth.Type == "" {
		auth.Type = AuthNone
	}
	timeout := 0
	if in.Timeout > 0 && in.Timeout < 30*time.Second {
		timeout = int((in.Timeout + time.Second - 1) / time.Second)
	}
	out := wire.Integration{
		Name: in.Name, Description: in.Description, BaseURL: in.BaseURL, TimeoutSeconds: timeout,
		Auth: wire.Auth{Type: auth.Type, Location: auth.Location, Key: auth.Key, Prefix: auth.Prefix, Grant: auth.Grant,
			AuthorizeURL: auth.AuthorizeURL, TokenURL: auth.TokenURL, RevokeURL: auth.RevokeURL, Scopes: auth.Scopes},
	}
	for _, a := range in.Actions {
		in, _ := json.Marshal(a.input)
		var outSchema json.RawMessage
		if a.output != nil {
			outSchema, _ = json.Marshal(a.output)
		}
		out.Actions = append(out.Actions, wire.Action{Key: a.key, Name: a.name, Description: a.description, InputSchema: in, OutputSchema: outSchema})
	}
	return out
}
