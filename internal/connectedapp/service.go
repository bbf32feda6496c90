// Package connectedapp is the application layer of signing MCP clients in
// with OAuth: desktop assistants, IDEs and hosted agent builders that add
// Plugboard by its /mcp URL, send a person to Plugboard to sign in and
// approve, and get tokens instead of a pasted key.
//
// Plugboard is the authorization server (OAuth 2.1: authorization code
// with PKCE S256, refresh tokens that rotate, revocation) and /mcp the
// protected resource. The rules live here, whatever surface asks:
//
//   - Clients are known by a client ID metadata document (their client_id
//     is the https URL of a JSON document describing them, read through
//     the SSRF-safe outbound client) or by dynamic registration (RFC 7591).
//     A redirect URI must match a registered one exactly; a loopback one
//     (RFC 8252) may differ in its port only.
//   - Consent becomes the grant. The person picks the deployed integrations
//     and actions the app may call and in which environment; the result is
//     a connected app, an agent bound to that person whose grants run as
//     them, so their personal connections and team rights apply. Consent
//     narrower than what the client asked for is what the app gets.
//   - Tokens are opaque, stored only hashed, audience-bound to the resource
//     the client named (RFC 8707), and checked on every /mcp request: a
//     revoked app, family or token stops at the next request.
//   - A refresh token rotates on use; presenting one already rotated
//     revokes every token of its family.
//
// Changes a person makes (connecting, reconnecting, revoking) and the
// revocations a reused token causes land in the audit trail, naming both
// the app and the person.
package connectedapp

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// Audit trail actions.
const (
	ActionConnect    = "app.connect"
	ActionReconnect  = "app.reconnect"
	ActionRevoke     = "app.revoke"
	ActionTokenReuse = "app.token_reuse"
)

// Scopes a client may ask for.
const (
	// ScopeTools lets the app call the tools the person approves.
	ScopeTools = "mcp:tools"
	// ScopeOffline keeps the app connected with refresh tokens.
	ScopeOffline = "offline_access"
)

// Config wires the service; every field without a default is required.
type Config struct {
	Store *store.Store
	Rules *access.Rules
	// Agents checks the grants a person approves, with the rules every
	// agent's grants follow.
	Agents *agent.Service
	// Tools hears that an organization's apps changed, so that their open
	// MCP sessions are brought up to date or closed.
	Tools agent.ToolWatcher
	// Vault seals authorization requests while they wait for consent.
	Vault *vault.Keyring
	// Fetch reads client ID metadata documents: the outbound client, whose
	// guard refuses private addresses unless the operator allows them.
	Fetch *http.Client
	// Rate limits dynamic registrations per client address.
	Rate limit.Rate
	// Issuer is the authorization server's identifier: the public URL.
	Issuer string
	// Resources are the resource identifiers tokens may be issued for; the
	// first (the /mcp URL) is the default when a client names none.
	Resources []string
	// AccessTTL is how long an access token works. Defaults to 1 hour.
	AccessTTL time.Duration
	// RefreshTTL is how long an unused refresh token works. Defaults to
	// 30 days.
	RefreshTTL time.Duration
	// Now is the clock. Defaults to time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// WithDefaults returns a copy with every zero field that has a default set.
func (c Config) WithDefaults() Config {
	if c.AccessTTL == 0 {
		c.AccessTTL = time.Hour
	}
	if c.RefreshTTL == 0 {
		c.RefreshTTL = 30 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// How long the steps of a sign-in may take.
const (
	// requestTTL is how long a person has to sign in and decide.
	requestTTL = 15 * time.Minute
	// codeTTL is how long a client has to exchange its code.
	codeTTL = time.Minute
	// documentTTL is how long a client ID metadata document is trusted
	// before it is read again.
	documentTTL = 5 * time.Minute
)

// Service runs the operations. It is safe for concurrent use.
type Service struct {
	cfg Config
}

// New returns the service.
func New(cfg Config) *Service {
	return &Service{cfg: cfg.WithDefaults()}
}

// Issuer is the authorization server's identifier.
func (s *Service) Issuer() string { return s.cfg.Issuer }

// Resources are the resource identifiers tokens are issued for.
func (s *Service) Resources() []string { return s.cfg.Resources }

// AccessTTL is how long access tokens work.
func (s *Service) AccessTTL() time.Duration { return s.cfg.AccessTTL }

// Error is a refusal in OAuth's terms, for clients: an error code of
// RFC 6749 (or RFC 7591, RFC 8707) and a description that says what to
// fix.
type Error struct {
	Code        string
	Description string
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

// OAuth error codes.
const (
	InvalidRequest       = "invalid_request"
	InvalidClient        = "invalid_client"
	InvalidGrant         = "invalid_grant"
	InvalidScope         = "invalid_scope"
	InvalidTarget        = "invalid_target"
	UnauthorizedClient   = "unauthorized_client"
	AccessDenied         = "access_denied"
	InvalidRedirectURI   = "invalid_redirect_uri"
	InvalidClientMeta    = "invalid_client_metadata"
	UnsupportedGrantType = "unsupported_grant_type"
)

func oauthError(code, description string) *Error { return &Error{Code: code, Description: description} }
