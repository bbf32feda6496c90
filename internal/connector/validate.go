package connector

import (
	"net/url"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/naming"
)

// Limits a definition must respect.
const (
	MaxNameLength     = naming.MaxName
	MaxKeyLength      = 64
	MaxTimeoutSeconds = 30
)

var (
	authTypes    = []string{AuthNone, AuthAPIKey, AuthBasic, AuthBearer, AuthOAuth2}
	methods      = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
	locations    = []string{InPath, InQuery, InHeader, InBody}
	schemaTypes  = []string{"string", "integer", "number", "boolean", "object", "array", "null"}
	environments = []string{Sandbox, Production}
)

// Validate reports every problem with the definition at once, as a
// *ValidationError whose fields are JSON paths like "actions[1].endpoint".
// It expects defaults to be applied ([Parse] does both).
func (d *Definition) Validate() error {
	var p problems
	if strings.TrimSpace(d.Name) == "" {
		p.add("name", "required; give the integration a name")
	} else {
		p.checkText("name", d.Name, naming.Name)
	}
	p.checkText("description", d.Description, naming.Description)
	if d.BaseURL == "" {
		if d.Environments[Sandbox].BaseURL == "" || d.Environments[Production].BaseURL == "" {
			p.add("baseUrl", "required; the API's root URL, like https://api.example.com/v1")
		}
	} else {
		p.checkBaseURL("baseUrl", d.BaseURL)
	}
	if d.DocumentationURL != "" {
		p.checkAbsoluteURL("documentationUrl", d.DocumentationURL)
	}
	p.checkAuth("auth", d.Auth)
	p.checkPersonal(d)
	for _, name := range sortedKeys(d.Environments) {
		at := join("environments", name)
		if !slices.Contains(environments, name) {
			p.add(at, "unknown environment %q; use %s or %s", name, Sandbox, Production)
			continue
		}
		if u := d.Environments[name].BaseURL; u != "" {
			p.checkBaseURL(join(at, "baseUrl"), u)
		}
	}
	p.checkHeaders("headers", d.Headers)
	if d.TimeoutSeconds != 0 && (d.TimeoutSeconds < 1 || d.TimeoutSeconds > MaxTimeoutSeconds) {
		p.add("timeoutSeconds", "is %d; use 1 to %d seconds (leave it out for %d)", d.TimeoutSeconds, MaxTimeoutSeconds, MaxTimeoutSeconds)
	}
	switch d.Redirects {
	case "", RedirectsFollow, RedirectsSameOrigin:
	default:
		p.add("redirects", `is %q; use %q (the default: a redirect to another origin is followed without credentials) or %q (it is refused)`, d.Redirects, RedirectsFollow, RedirectsSameOrigin)
	}
	if rl := d.RateLimit; rl != nil {
		if rl.RequestsPerSecond <= 0 {
			p.add("rateLimit.requestsPerSecond", "must be more than 0")
		}
		if rl.Burst < 0 {
			p.add("rateLimit.burst", "must not be negative")
		}
	}
	if len(d.Actions) == 0 {
		p.add("actions", "define at least one action, like {\"name\": \"List Contacts\", \"method\": \"GET\", \"endpoint\": \"/contacts\"}")
	}
	seen := map[string]int{}
	for i := range d.Actions {
		at := index("actions", i)
		a := &d.Actions[i]
		p.checkAction(at, a)
		if a.Key == "" {
			continue
		}
		if j, dup := seen[a.Key]; dup {
			p.add(join(at, "key"), "%q is also the key of actions[%d]; give one of them a distinct key or name", a.Key, j)
		} else {
			seen[a.Key] = i
		}
	}
	if d.TestAction != "" {
		if _, ok := d.Action(d.TestAction); !ok {
			keys := make([]string, len(d.Actions))
			for i, a := range d.Actions {
				keys[i] = a.Key
			}
			p.add("testAction", "no action %q; use one of: %s", d.TestAction, strings.Join(keys, ", "))
		}
	}
	return p.err()
}

// checkBaseURL requires an absolute http(s) URL with a host and nothing
// after the path: endpoints and query parameters are appended to it.
func (p *problems) checkBaseURL(field, raw string) {
	u := p.checkAbsoluteURL(field, raw)
	if u == nil {
		return
	}
	if u.RawQuery != "" || u.ForceQuery {
		p.add(field, "must not have a query string; declare query parameters on the actions")
	}
	if u.Fragment != "" {
		p.add(field, "must not have a #fragment")
	}
}

// checkAbsoluteURL requires http or https (plain http stays allowed for
// local development; the publishing review insists on https) and a host.
func (p *problems) checkAbsoluteURL(field, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Hostname() == "" {
		p.add(field, "%q is not an absolute http(s) URL; write it like https://api.example.com/v1", raw)
		return nil
	}
	if u.User != nil {
		p.add(field, "must not contain credentials; declare auth and set credentials on a connection")
		return nil
	}
	return u
}

func (p *problems) checkAuth(at string, a Auth) {
	if !slices.Contains(authTypes, a.Type) {
		p.add(join(at, "type"), "unknown auth type %q; use one of %s%s", a.Type, strings.Join(authTypes, ", "), didYouMean(a.Type, authTypes))
		return
	}
	switch a.Type {
	case AuthAPIKey:
		switch a.Location {
		case InHeader, InQuery:
		case "":
			p.add(join(at, "location"), `required for api_key auth; "header" or "query"`)
		default:
			p.add(join(at, "location"), `is %q; use "header" or "query"`, a.Location)
		}
		switch {
		case a.Key == "":
			p.add(join(at, "key"), `required for api_key auth; the header or query parameter name, like "X-API-Key"`)
		case a.Location == InHeader && !validHeaderName(a.Key):
			p.add(join(at, "key"), "%q is not a valid header name", a.Key)
		}
	case AuthOAuth2:
		switch a.Grant {
		case GrantAuthorizationCode:
			if a.AuthorizeURL == "" {
				p.add(join(at, "authorize_url"), "required for the authorization_code grant; the provider's authorization endpoint")
			}
		case GrantClientCredentials:
		case "":
			p.add(join(at, "grant"), "required for oauth2 auth; authorization_code or client_credentials")
		default:
			p.add(join(at, "grant"), "is %q; use authorization_code or client_credentials", a.Grant)
		}
		if a.TokenURL == "" {
			p.add(join(at, "token_url"), "required for oauth2 auth; the provider's token endpoint")
		}
		for _, u := range []struct{ field, value string }{
			{"authorize_url", a.AuthorizeURL}, {"token_url", a.TokenURL}, {"revoke_url", a.RevokeURL},
		} {
			if u.value != "" {
				p.checkAbsoluteURL(join(at, u.field), u.value)
			}
		}
		if a.TokenAuth != "" && a.TokenAuth != InHeader && a.TokenAuth != InBody {
			p.add(join(at, "token_auth"), `is %q; use "header" (HTTP Basic) or "body"`, a.TokenAuth)
		}
	}
}

func (p *problems) checkHeaders(at string, h map[string]string) {
	for _, name := range sortedKeys(h) {
		if !validHeaderName(name) {
			p.add(join(at, name), "%q is not a valid header name", name)
		}
		if strings.ContainsAny(h[name], "\r\n\x00") {
			p.add(join(at, name), "value must not contain line breaks")
		}
	}
}

// validHeaderName accepts RFC 9110 token characters.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func validKey(s string) bool {
	if len(s) > MaxKeyLength {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkText holds a name or description to the rule every stored text
// follows (package naming).
func (p *problems) checkText(at, s string, rule func(string) (string, error)) {
	if _, err := rule(s); err != nil {
		p.add(at, "%s", err.Error())
	}
}
