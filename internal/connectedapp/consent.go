package connectedapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// Request is an authorization request whose client and redirect URI were
// checked (see [Service.Client] and [RedirectAllowed]).
type Request struct {
	Client              store.AppClient
	RedirectURI         string
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
	Resources           []string // resource indicators (RFC 8707)
}

// pending is an authorization request waiting for consent. It travels
// sealed in the consent page's URL and form, so that nothing is stored
// for a request nobody approves.
type pending struct {
	ClientID      string    `json:"c"`
	RedirectURI   string    `json:"r"`
	State         string    `json:"s,omitempty"`
	CodeChallenge string    `json:"p"`
	Scopes        []string  `json:"o"`
	Resource      string    `json:"a"`
	Expires       time.Time `json:"e"`
}

var pendingAAD = []byte("plugboard app authorization request")

// Start checks the rest of an authorization request (PKCE with S256, the
// resource, the scopes) and returns the handle of the consent page. Its
// refusals are for the client's redirect URI.
func (s *Service) Start(ctx context.Context, in Request) (string, error) {
	if !slices.Contains(in.Client.GrantTypes, GrantCode) {
		return "", oauthError(UnauthorizedClient, "the client did not register the authorization_code grant")
	}
	if in.CodeChallenge == "" {
		return "", oauthError(InvalidRequest, "PKCE is required: send code_challenge and code_challenge_method=S256")
	}
	if in.CodeChallengeMethod != "S256" {
		return "", oauthError(InvalidRequest, "code_challenge_method must be S256; plain is not accepted")
	}
	if len(in.CodeChallenge) != 43 {
		return "", oauthError(InvalidRequest, "code_challenge must be the 43-character base64url SHA-256 of the code verifier")
	}
	if len(in.State) > 1024 {
		return "", oauthError(InvalidRequest, "state is longer than 1024 characters")
	}
	resource, refusal := s.resource(in.Resources)
	if refusal != nil {
		return "", refusal
	}
	// Every app gets mcp:tools (the consent screen says which tools). One
	// that registered the refresh_token grant is offered offline_access,
	// whether or not it named the scope (many MCP clients do not): the
	// person decides on the consent screen.
	scopes := []string{ScopeTools}
	if slices.Contains(in.Client.GrantTypes, GrantRefresh) {
		scopes = append(scopes, ScopeOffline)
	}
	p := pending{
		ClientID: in.Client.ID, RedirectURI: in.RedirectURI, State: in.State, CodeChallenge: in.CodeChallenge,
		Scopes: scopes, Resource: resource, Expires: s.now().Add(requestTTL),
	}
	return s.cfg.Vault.SealJSON(p, pendingAAD)
}

// resource picks the resource a token is for from the indicators a client
// sent: none (the /mcp URL), or one that names this server's MCP endpoint.
func (s *Service) resource(indicators []string) (string, *Error) {
	switch len(indicators) {
	case 0:
		return s.cfg.Resources[0], nil
	case 1:
		for _, r := range s.cfg.Resources {
			if oauthex.MatchesResource([]string{indicators[0]}, r) {
				return r, nil
			}
		}
		return "", oauthError(InvalidTarget, fmt.Sprintf("resource %q is not served by this authorization server; use %s", indicators[0], s.cfg.Resources[0]))
	}
	return "", oauthError(InvalidTarget, "send one resource indicator: "+s.cfg.Resources[0])
}

// Pending is an authorization request as the consent screen shows it.
type Pending struct {
	Handle      string
	Client      store.AppClient
	RedirectURI string
	// Offline is set when the client may stay connected (it registered
	// the refresh_token grant); the person may decline.
	Offline bool
	Expires time.Time
	// Current is the person's app for this client, when they connected it
	// before: its grants are what the screen starts from.
	Current *store.Agent
}

// ErrRequestExpired answers a consent screen opened or sent too late.
var ErrRequestExpired = problem.New(http.StatusBadRequest, "this sign-in request has expired (it lasts 15 minutes); go back to the app and connect again")

// Pending opens the request behind a consent screen's handle for p.
func (s *Service) Pending(ctx context.Context, p access.Principal, handle string) (Pending, error) {
	req, client, err := s.open(ctx, handle)
	if err != nil {
		return Pending{}, err
	}
	out := Pending{Handle: handle, Client: client, RedirectURI: req.RedirectURI, Offline: slices.Contains(req.Scopes, ScopeOffline), Expires: req.Expires}
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		cur, err := tx.ConnectedApp(ctx, p.Org.ID, p.User.ID, client.ID)
		if err == nil {
			out.Current = &cur
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	return out, err
}

func (s *Service) open(ctx context.Context, handle string) (pending, store.AppClient, error) {
	var req pending
	if err := s.cfg.Vault.OpenJSON(handle, pendingAAD, &req); err != nil {
		return pending{}, store.AppClient{}, problem.BadRequest("this sign-in request is damaged or was made by another server; go back to the app and connect again")
	}
	if !s.now().Before(req.Expires) {
		return pending{}, store.AppClient{}, ErrRequestExpired
	}
	client, err := s.StoredClient(ctx, req.ClientID)
	if err != nil {
		return pending{}, store.AppClient{}, problem.BadRequest("the app that asked to connect is no longer registered; go back to it and connect again")
	}
	return req, client, nil
}

// Consent is what a person approves: the tools (deployed actions, in an
// environment) and whether the app stays connected.
type Consent struct {
	Grants  []agent.Grant
	Offline bool
}

// Approve makes p's consent the app's grant: p's connected app for the
// client is created (or its tools replaced), acting as p, and the
// returned URL sends the browser back to the client with a code.
func (s *Service) Approve(ctx context.Context, p access.Principal, handle string, c Consent) (string, error) {
	if err := p.May(access.Run); err != nil {
		return "", problem.Forbidden("your role %q may not run actions, so an app cannot act for you; ask an owner or admin for the developer role", p.User.Role)
	}
	req, client, err := s.open(ctx, handle)
	if err != nil {
		return "", err
	}
	if len(c.Grants) == 0 {
		return "", problem.Invalid("pick at least one tool the app may use", []problem.FieldError{{Field: "tools", Message: "tick the actions the app may call"}})
	}
	grants, err := s.cfg.Agents.OwnGrants(ctx, p, c.Grants)
	if err != nil {
		return "", err
	}
	scope := []string{ScopeTools}
	if c.Offline && slices.Contains(req.Scopes, ScopeOffline) {
		scope = append(scope, ScopeOffline)
	}
	code := vault.NewToken("pbac_", 32)
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		app, err := s.bind(ctx, tx, p, client, grants)
		if err != nil {
			return err
		}
		return tx.CreateAppCode(ctx, store.AppCode{
			Hash: vault.HashToken(code), ClientID: client.ID, RedirectURI: req.RedirectURI, CodeChallenge: req.CodeChallenge,
			Resource: req.Resource, Scope: strings.Join(scope, " "), OrgID: p.Org.ID, AgentID: app.ID, UserID: p.User.ID,
			ExpiresAt: s.now().Add(codeTTL),
		})
	})
	if err != nil {
		return "", err
	}
	s.cfg.Tools.ToolsChanged(ctx, p.Org.ID)
	return s.respond(req, url.Values{"code": {code}}), nil
}

// bind creates p's connected app for client with grants, or gives the one
// p has the new grants, with the audit entry.
func (s *Service) bind(ctx context.Context, tx *store.Tx, p access.Principal, client store.AppClient, grants []store.Grant) (store.Agent, error) {
	app, err := tx.ConnectedApp(ctx, p.Org.ID, p.User.ID, client.ID)
	detail := map[string]any{"client_id": client.ID, "client": DisplayName(client), "tools": agent.GrantSummary(grants)}
	switch {
	case err == nil:
		app.Grants = grants
		if err := tx.UpdateAgent(ctx, app); err != nil {
			return store.Agent{}, err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionReconnect, "agent", app.ID, detail))
		return app, err
	case !errors.Is(err, store.ErrNotFound):
		return store.Agent{}, err
	}
	// A connected app signs in with tokens only: its key hash is that of a
	// random value nobody is shown, and key lookups skip connected apps.
	app, err = tx.CreateAgent(ctx, store.Agent{
		OrgID: p.Org.ID, Name: DisplayName(client), Grants: grants, CreatedBy: p.User.ID, ClientID: client.ID,
	}, vault.HashToken(vault.NewToken("", 32)))
	if err != nil {
		return store.Agent{}, err
	}
	_, err = tx.AppendAudit(ctx, p.Audit(ActionConnect, "agent", app.ID, detail))
	return app, err
}

// Deny returns the URL that tells the client the person declined.
func (s *Service) Deny(ctx context.Context, p access.Principal, handle string) (string, error) {
	req, client, err := s.open(ctx, handle)
	if err != nil {
		return "", err
	}
	s.cfg.Logger.InfoContext(ctx, "app connection declined", "client", client.ID, "user", p.User.ID)
	return s.respond(req, url.Values{"error": {AccessDenied}, "error_description": {"the person declined to connect the app"}}), nil
}

// respond builds the authorization response: the redirect URI with the
// answer, the client's state and the issuer (RFC 9207), which tells the
// client which server answered.
func (s *Service) respond(req pending, answer url.Values) string {
	u, _ := url.Parse(req.RedirectURI) // checked when the request started
	q := u.Query()
	for k, v := range answer {
		q[k] = v
	}
	if req.State != "" {
		q.Set("state", req.State)
	}
	q.Set("iss", s.cfg.Issuer)
	u.RawQuery = q.Encode()
	return u.String()
}

// ConsentFormAction is the origin (or scheme, for a private-use redirect
// URI) a consent form's answer redirects to, for the page's
// Content-Security-Policy form-action; "" when it holds anything but a
// plain host, port or scheme, which the policy then refuses.
func ConsentFormAction(redirectURI string) string {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return ""
	}
	switch {
	case (u.Scheme == "http" || u.Scheme == "https") && plainHost.MatchString(u.Host):
		return u.Scheme + "://" + u.Host
	case u.Scheme != "http" && u.Scheme != "https" && plainScheme.MatchString(u.Scheme):
		return u.Scheme + ":"
	}
	return ""
}

var (
	// plainHost is a DNS name or an IP literal, with an optional port.
	plainHost = regexp.MustCompile(`^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)
	// plainScheme is a URI scheme (RFC 3986 section 3.1).
	plainScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)
)
