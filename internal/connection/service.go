// Package connection is the application layer of connections: the sealed
// credentials an integration uses in an environment, shared by the
// organization or owned by one member. One set of rules serves the REST
// API and the dashboard: environments, base URL overrides (absolute
// http(s) only), which credentials each auth method needs, the status an
// OAuth 2.0 connection starts in, a single connection per environment and
// owner, and that a member's personal connection is seen and used by that
// member alone. Every change lands in the audit trail in its own
// transaction, and credentials never leave this package unsealed.
package connection

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/auth"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Audit trail actions.
const (
	ActionCreate    = "connection.create"
	ActionUpdate    = "connection.update"
	ActionDelete    = "connection.delete"
	ActionAuthorize = "connection.authorize"
)

// Deps are what the operations need; every field is required but Logger.
type Deps struct {
	Store  *store.Store
	Rules  *access.Rules
	Loader *executor.Executor // the integration's definition: its auth method
	Auth   *auth.Provider     // sealing, OAuth 2.0 flows, revocation
	// PublicURL prefixes the authorize links handed out.
	PublicURL string
	Logger    *slog.Logger
}

// Service runs the connection operations. It is safe for concurrent use.
type Service struct {
	Deps
}

// New returns the service.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{Deps: d}
}

// Input is a new connection.
type Input struct {
	Environment string                `json:"environment"` // sandbox (default) or production
	Credentials connector.Credentials `json:"credentials"`
	Name        string                `json:"name,omitempty"`
	BaseURL     string                `json:"base_url,omitempty"` // overrides the integration's
	// Personal makes the connection the caller's own instead of the
	// organization's shared one.
	Personal bool `json:"personal,omitempty"`
}

// Changes edit a connection; nil fields stay as they are. New credentials
// replace the old ones whole.
type Changes struct {
	Credentials *connector.Credentials `json:"credentials"`
	Name        *string                `json:"name"`
	BaseURL     *string                `json:"base_url"`
}

// Created is a new connection, with the link that starts its OAuth 2.0
// flow when it needs one.
type Created struct {
	store.Connection
	AuthorizeURL string `json:"authorize_url,omitempty"`
}

// target loads the latest draft of an integration p may use, for
// operations that need permission perm.
func (s *Service) target(ctx context.Context, p access.Principal, perm access.Permission, ref string) (*executor.Target, error) {
	if err := p.May(perm); err != nil {
		return nil, err
	}
	in, err := s.Rules.Integration(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	return s.Loader.Load(ctx, p.Org.ID, in.ID, connector.Sandbox, executor.VersionLatest)
}

// visible loads the connection cid of an integration p may use, when p
// may see it: a shared one or p's own.
func (s *Service) visible(ctx context.Context, p access.Principal, perm access.Permission, ref, cid string) (*executor.Target, store.Connection, error) {
	t, err := s.target(ctx, p, perm, ref)
	if err != nil {
		return nil, store.Connection{}, err
	}
	c, err := s.Store.GetConnection(ctx, p.Org.ID, t.Integration.ID, cid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !p.Sees(c)) {
		return nil, store.Connection{}, access.NotFound("connection", cid)
	}
	return t, c, err
}

// status is the status credentials put a connection in: an OAuth 2.0
// authorization code connection without tokens waits for its flow.
func status(a connector.Auth, c connector.Credentials) string {
	if a.Type == connector.AuthOAuth2 && a.Grant == connector.GrantAuthorizationCode && c.AccessToken == "" {
		return store.ConnPending
	}
	return store.ConnActive
}

// check validates the fields every surface may set, listing each problem.
func check(a connector.Auth, env *string, creds *connector.Credentials, baseURL *string) error {
	var errs []problem.FieldError
	if env != nil && *env != connector.Sandbox && *env != connector.Production {
		errs = append(errs, problem.FieldError{Field: "environment", Message: "must be sandbox or production"})
	}
	if baseURL != nil && *baseURL != "" {
		if u, err := url.Parse(*baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			errs = append(errs, problem.FieldError{Field: "base_url", Message: "must be an absolute http(s) URL without credentials, or empty to use the integration's"})
		}
	}
	if creds != nil && status(a, *creds) == store.ConnActive {
		if err := a.CheckCredentials(*creds); err != nil {
			errs = append(errs, problem.FieldError{Field: "credentials", Message: err.Error()})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Field + ": " + e.Message
	}
	return problem.Invalid("the connection is not valid: "+strings.Join(msgs, "; "), errs)
}
