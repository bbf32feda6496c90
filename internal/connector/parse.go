package connector

import (
	"encoding/json"
	"slices"
	"strings"
)

var (
	definitionFields = []field{
		newField("name"),
		newField("description"),
		newField("baseUrl"),
		newField("documentationUrl", "docsUrl", "apiDocumentationUrl", "apiDocsUrl"),
		newField("auth", "authentication"),
		newField("environments"),
		newField("headers"),
		newField("timeoutSeconds"),
		newField("rateLimit"),
		newField("testAction"),
		newField("redirects"),
		newField("personal_connections"),
		newField("actions"),
	}
	authFields = []field{
		newField("type"),
		newField("location", "in"),
		newField("key", "name", "keyName", "headerName", "paramName"),
		newField("prefix"),
		newField("grant", "grantType"),
		newField("authorize_url", "authorization_url", "auth_url"),
		newField("token_url"),
		newField("revoke_url"),
		newField("scopes", "scope"),
		newField("pkce"),
		newField("token_auth"),
		newField("extra_params"),
	}
	environmentFields = []field{newField("baseUrl")}
	rateLimitFields   = []field{newField("requestsPerSecond", "rps"), newField("burst")}
	actionFields      = []field{
		newField("key"),
		newField("name"),
		newField("description"),
		newField("method"),
		newField("endpoint", "path"),
		newField("parameters", "params"),
		newField("headers"),
		newField("idempotent"),
		newField("response"),
		newField("pagination", "paging"),
		newField("body_type"),
		newField("destructive"),
		newField("approval"),
		newField("approval_team"),
	}
)

// Parse reads an integration definition as an author writes it, in any of
// the accepted spellings, fills in defaults (see [Definition.ApplyDefaults])
// and validates it. Problems with the document come back together as a
// *ValidationError; only malformed JSON stops parsing early.
func Parse(raw []byte) (*Definition, error) {
	var probe any
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, syntaxError(raw, err)
	}
	var p problems
	d := p.definition(raw)
	if d == nil {
		return nil, p.err()
	}
	d.ApplyDefaults()
	if err := d.Validate(); err != nil {
		// A value that could not be decoded also fails validation; say so
		// once, in the decoder's words.
		decoded := problems{list: p.list}
		for _, fe := range err.(*ValidationError).Errors {
			if !decoded.covers(fe.Field) && !slices.Contains(p.misspelled, fe.Field) {
				p.list = append(p.list, fe)
			}
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return d, nil
}

// covers reports whether a problem was already recorded at field or above it.
func (p *problems) covers(field string) bool {
	for _, fe := range p.list {
		if fe.Field == field || strings.HasPrefix(field, fe.Field+".") || strings.HasPrefix(field, fe.Field+"[") {
			return true
		}
	}
	return false
}

// definition decodes the top level, or returns nil when it is not an object.
func (p *problems) definition(raw json.RawMessage) *Definition {
	m := p.object(raw, "", definitionFields)
	if m == nil {
		return nil
	}
	d := &Definition{}
	d.Name = p.str(m, "name", "")
	d.Description = p.str(m, "description", "")
	d.BaseURL = p.str(m, "baseUrl", "")
	d.DocumentationURL = p.str(m, "documentationUrl", "")
	d.Headers = p.stringMap(m, "headers", "")
	d.TimeoutSeconds = p.integer(m, "timeoutSeconds", "")
	d.TestAction = p.str(m, "testAction", "")
	d.Redirects = p.str(m, "redirects", "")
	d.PersonalConnections = p.boolean(m, "personal_connections", "")
	if raw, ok := m["auth"]; ok {
		d.Auth = p.auth(raw, "auth")
	}
	if raw, ok := m["environments"]; ok {
		d.Environments = p.environments(raw, "environments")
	}
	if raw, ok := m["rateLimit"]; ok {
		if rl := p.object(raw, "rateLimit", rateLimitFields); rl != nil {
			d.RateLimit = &RateLimit{
				RequestsPerSecond: p.number(rl, "requestsPerSecond", "rateLimit"),
				Burst:             p.integer(rl, "burst", "rateLimit"),
			}
		}
	}
	if raw, ok := m["actions"]; ok {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			p.add("actions", "must be an array of actions")
		}
		for i, a := range list {
			d.Actions = append(d.Actions, p.action(a, index("actions", i)))
		}
	}
	return d
}

// auth also takes a bare string as the type ("auth": "none").
func (p *problems) auth(raw json.RawMessage, path string) Auth {
	var a Auth
	if json.Unmarshal(raw, &a.Type) == nil {
		return a
	}
	m := p.object(raw, path, authFields)
	if m == nil {
		return a
	}
	a.Type = p.str(m, "type", path)
	a.Location = p.str(m, "location", path)
	a.Key = p.str(m, "key", path)
	a.Prefix = p.str(m, "prefix", path)
	a.Grant = p.str(m, "grant", path)
	a.AuthorizeURL = p.str(m, "authorize_url", path)
	a.TokenURL = p.str(m, "token_url", path)
	a.RevokeURL = p.str(m, "revoke_url", path)
	a.TokenAuth = p.str(m, "token_auth", path)
	a.ExtraParams = p.stringMap(m, "extra_params", path)
	if raw, ok := m["pkce"]; ok {
		b := p.boolean(m, "pkce", path)
		if json.Unmarshal(raw, new(bool)) == nil {
			a.PKCE = &b
		}
	}
	if raw, ok := m["scopes"]; ok {
		// Providers document scopes as one space-separated string as
		// often as a list; take either.
		var one string
		if json.Unmarshal(raw, &one) == nil {
			a.Scopes = strings.Fields(one)
		} else if err := json.Unmarshal(raw, &a.Scopes); err != nil {
			p.add(join(path, "scopes"), "must be a list of strings or one space-separated string")
		}
	}
	return a
}

// environments also takes a bare string as the base URL.
func (p *problems) environments(raw json.RawMessage, path string) map[string]Environment {
	ms, err := members(raw)
	if err != nil {
		p.add(path, `must be an object like {"sandbox": {"baseUrl": "https://sandbox.example.com"}}`)
		return nil
	}
	out := map[string]Environment{}
	for _, m := range ms {
		var env Environment
		if json.Unmarshal(m.value, &env.BaseURL) != nil {
			if f := p.object(m.value, join(path, m.key), environmentFields); f != nil {
				env.BaseURL = p.str(f, "baseUrl", join(path, m.key))
			}
		}
		out[m.key] = env
	}
	return out
}

func (p *problems) action(raw json.RawMessage, path string) Action {
	var a Action
	m := p.object(raw, path, actionFields)
	if m == nil {
		return a
	}
	a.Key = p.str(m, "key", path)
	a.Name = p.str(m, "name", path)
	a.Description = p.str(m, "description", path)
	a.Method = p.str(m, "method", path)
	a.Endpoint = p.str(m, "endpoint", path)
	a.Headers = p.stringMap(m, "headers", path)
	a.Idempotent = p.boolean(m, "idempotent", path)
	a.BodyType = strings.ToLower(strings.TrimSpace(p.str(m, "body_type", path)))
	a.Destructive = p.boolean(m, "destructive", path)
	a.Approval = p.str(m, "approval", path)
	a.ApprovalTeam = p.str(m, "approval_team", path)
	if raw, ok := m["parameters"]; ok {
		a.Parameters = p.params(raw, join(path, "parameters"))
	}
	if raw, ok := m["response"]; ok && !isNull(raw) {
		a.Response = p.response(raw, join(path, "response"))
	}
	if raw, ok := m["pagination"]; ok && !isNull(raw) {
		a.Pagination = p.pagination(raw, join(path, "pagination"))
	}
	return a
}

// ApplyDefaults fills in what an author may leave out: auth defaults to
// none, an action's method to GET and its key to the slug of its name, and
// each parameter's location to path when the endpoint names it, else query
// for GET, HEAD and DELETE, else body. Parameters named in the endpoint
// are required; spellings of a redirect policy ("same-origin") become its
// constant. It is idempotent; [Parse] calls it before validating.
func (d *Definition) ApplyDefaults() {
	d.Name = strings.TrimSpace(d.Name)
	d.Auth.Type = normalizeAuthType(d.Auth.Type)
	if d.Auth.Type == AuthOAuth2 {
		d.Auth.Grant = normalizeGrant(d.Auth.Grant)
	}
	d.Auth.Location = strings.ToLower(d.Auth.Location)
	switch strings.ToLower(spellingNoise.Replace(d.Redirects)) {
	case "sameorigin":
		d.Redirects = RedirectsSameOrigin
	case "follow":
		d.Redirects = RedirectsFollow
	}
	for i := range d.Actions {
		a := &d.Actions[i]
		a.Name = strings.TrimSpace(a.Name)
		a.Method = strings.ToUpper(strings.TrimSpace(a.Method))
		if a.Method == "" {
			a.Method = "GET"
		}
		if a.Key == "" {
			a.Key = Slug(a.Name)
		}
		if a.Pagination != nil {
			a.Pagination.applyDefaults()
		}
		a.Approval = strings.ToLower(strings.TrimSpace(a.Approval))
		a.ApprovalTeam = strings.TrimSpace(a.ApprovalTeam)
		placeholders := a.placeholderSet()
		for j := range a.Parameters {
			prm := &a.Parameters[j]
			prm.In = a.location(prm)
			prm.Style = canonicalStyle(prm.Style)
			if placeholders[prm.Name] && prm.In == InPath {
				prm.Required = true
			}
		}
	}
}

// normalizeAuthType maps the spellings people use ("apiKey", "OAuth 2.0",
// "jwt") to the canonical kinds; an unknown word is kept for Validate to
// report.
// spellingNoise is removed before matching a spelling of an auth type or
// grant ("API-Key", "client credentials").
var spellingNoise = strings.NewReplacer("_", "", "-", "", " ", "", ".", "")

func normalizeAuthType(t string) string {
	switch t {
	case AuthNone, AuthAPIKey, AuthBasic, AuthBearer, AuthOAuth2:
		return t // already canonical: the per-request path
	}
	k := strings.ToLower(spellingNoise.Replace(t))
	switch k {
	case "", "none", "noauth":
		return AuthNone
	case "apikey":
		return AuthAPIKey
	case "basic", "basicauth":
		return AuthBasic
	case "bearer", "bearertoken", "jwt", "token":
		return AuthBearer
	case "oauth", "oauth2", "oauth20":
		return AuthOAuth2
	}
	return t
}

// Grant types for OAuth 2.0.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantClientCredentials = "client_credentials"
)

func normalizeGrant(g string) string {
	switch strings.ToLower(spellingNoise.Replace(g)) {
	case "authorizationcode", "code":
		return GrantAuthorizationCode
	case "clientcredentials":
		return GrantClientCredentials
	}
	return g
}

// canonicalStyle spells a style as OpenAPI does whatever its case
// ("deepobject"); an unknown word is kept for Validate to report.
func canonicalStyle(style string) string {
	for _, styles := range stylesFor {
		for _, known := range styles {
			if strings.EqualFold(style, known) {
				return known
			}
		}
	}
	return style
}
