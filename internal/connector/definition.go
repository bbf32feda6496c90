package connector

// Environment names. Every integration has both; each has its own
// connection and may override the base URL.
const (
	Sandbox    = "sandbox"
	Production = "production"
)

// Redirect policies: what a call does when the API redirects it to another
// origin (scheme, host, port). Credentials never go along either way.
const (
	// RedirectsFollow follows the API to another origin without the
	// connection's credentials. It is the default.
	RedirectsFollow = "follow"
	// RedirectsSameOrigin refuses to follow the API to another origin.
	RedirectsSameOrigin = "same_origin"
)

// Auth kinds an integration can declare for the API it talks to.
const (
	AuthNone   = "none"
	AuthAPIKey = "api_key"
	AuthBasic  = "basic"
	AuthBearer = "bearer"
	AuthOAuth2 = "oauth2"
)

// Parameter locations.
const (
	InPath   = "path"
	InQuery  = "query"
	InHeader = "header"
	InBody   = "body"
)

// Definition is an integration as its author describes it: the API's base
// URL, how to authenticate, and the actions agents and triggers may run.
// The seed's short form ("baseUrl", "parameters": {"email": "string"}) is
// accepted as is; Parse normalizes every accepted spelling into this shape.
type Definition struct {
	Name             string                 `json:"name"`
	Description      string                 `json:"description,omitempty"`
	BaseURL          string                 `json:"baseUrl"`
	DocumentationURL string                 `json:"documentationUrl,omitempty"`
	Auth             Auth                   `json:"auth"`
	Environments     map[string]Environment `json:"environments,omitempty"`
	Headers          map[string]string      `json:"headers,omitempty"`
	TimeoutSeconds   int                    `json:"timeoutSeconds,omitempty"` // 1 to 30; defaults to 30
	RateLimit        *RateLimit             `json:"rateLimit,omitempty"`
	TestAction       string                 `json:"testAction,omitempty"` // key or name; defaults to the first GET action
	Redirects        string                 `json:"redirects,omitempty"`  // follow (default) or same_origin
	// PersonalConnections makes every member use a connection of their
	// own: a call for a member without one (or whose one needs to be
	// authorized again) is answered with a sign-in link instead of going
	// through the shared connection, which then holds only the OAuth
	// client that members' connections start from.
	PersonalConnections bool     `json:"personal_connections,omitempty"`
	Actions             []Action `json:"actions"`
}

// Environment overrides per environment (sandbox, production).
type Environment struct {
	BaseURL string `json:"baseUrl,omitempty"`
}

// RateLimit is the upstream API's declared rate limit, which Plugboard
// respects when calling it.
type RateLimit struct {
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	Burst             int     `json:"burst,omitempty"`
}

// Auth says how requests to the API are authenticated. The secrets
// themselves never live in a definition; they belong to a connection.
type Auth struct {
	Type string `json:"type"`

	// API key: where it goes and under which name.
	Location string `json:"location,omitempty"` // header | query
	Key      string `json:"key,omitempty"`      // header or query parameter name
	Prefix   string `json:"prefix,omitempty"`   // e.g. "Token " before the key in a header

	// OAuth 2.0.
	Grant        string            `json:"grant,omitempty"` // authorization_code | client_credentials
	AuthorizeURL string            `json:"authorize_url,omitempty"`
	TokenURL     string            `json:"token_url,omitempty"`
	RevokeURL    string            `json:"revoke_url,omitempty"`
	Scopes       []string          `json:"scopes,omitempty"`
	PKCE         *bool             `json:"pkce,omitempty"`
	TokenAuth    string            `json:"token_auth,omitempty"` // header | body
	ExtraParams  map[string]string `json:"extra_params,omitempty"`
}

// Action is one operation of the API: an HTTP method on an endpoint with
// typed parameters. Key is the stable slug used in URLs and tool names.
type Action struct {
	Key         string            `json:"key"` // defaults to Slug(Name)
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Method      string            `json:"method"` // upper case; defaults to GET
	Endpoint    string            `json:"endpoint"`
	Parameters  Params            `json:"parameters,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Idempotent  bool              `json:"idempotent,omitempty"`
	Response    *Response         `json:"response,omitempty"`   // selection, budget, schema of the body
	Pagination  *Pagination       `json:"pagination,omitempty"` // how the API pages its lists
	// BodyType is how body parameters are encoded: json (the default),
	// form or multipart.
	BodyType string `json:"body_type,omitempty"`
	// Destructive marks an action whose effect cannot be undone; under
	// the auto approval policy it needs approval in production.
	Destructive bool `json:"destructive,omitempty"`
	// Approval is the action's approval policy: never, always or auto
	// (the default; see [Action.NeedsApproval]).
	Approval string `json:"approval,omitempty"`
	// ApprovalTeam names the team whose members may decide, besides the
	// organization's owners and admins.
	ApprovalTeam string `json:"approval_team,omitempty"`
}

// Params is an ordered list of parameters; it reads and writes as a JSON
// object keyed by parameter name, keeping the author's order.
type Params []Param

// Param is one action parameter: a JSON Schema property plus where it goes
// in the request.
type Param struct {
	Name        string `json:"-"`
	In          string `json:"in,omitempty"` // defaults: path if in the endpoint, else query for GET/HEAD/DELETE, else body
	Required    bool   `json:"required,omitempty"`
	Description string `json:"description,omitempty"`
	Default     any    `json:"default,omitempty"`
	// Style and Explode say how an array or object value is written, as
	// OpenAPI 3 defines them (see the Style constants); unset, the
	// location's default applies.
	Style   string         `json:"style,omitempty"`
	Explode *bool          `json:"explode,omitempty"`
	Schema  map[string]any `json:"-"` // type, enum, format, items, properties, …
}
