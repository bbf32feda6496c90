package authserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/plugboard/plugboard/internal/connectedapp"
	"github.com/plugboard/plugboard/internal/store"
)

// protocol answers the OpenID provider library's questions with the
// operations of connectedapp. Endpoints it does not implement (user info,
// introspection, device flow, other grants) answer the library's "not
// supported".
type protocol struct {
	op.UnimplementedServer
	apps *connectedapp.Service
}

// VerifyAuthRequest finds the client of an authorization request, reading
// its metadata document when its client_id is a URL, and holds the
// redirect URI to the registered ones before the library does: its
// loopback rule ignores the host and scheme, this one only the port.
// These refusals are shown to the person, never redirected.
func (p *protocol) VerifyAuthRequest(ctx context.Context, r *op.Request[oidc.AuthRequest]) (*op.ClientRequest[oidc.AuthRequest], error) {
	if r.Data.ClientID == "" {
		return nil, oidc.ErrInvalidRequestRedirectURI().WithDescription("the request names no client_id; the app that sent you here must send its client_id")
	}
	c, err := p.apps.Client(ctx, r.Data.ClientID)
	if err != nil {
		return nil, notRedirected(err)
	}
	if r.Data.RedirectURI != "" && !connectedapp.RedirectAllowed(c, r.Data.RedirectURI) {
		return nil, oidc.ErrInvalidRequestRedirectURI().WithDescription(
			"redirect_uri %q is not registered for %s; the app must use one of the redirect URIs it registered", r.Data.RedirectURI, connectedapp.DisplayName(c))
	}
	if len(r.Data.Scopes) == 0 {
		r.Data.Scopes = oidc.SpaceDelimitedArray{connectedapp.ScopeTools}
	}
	return &op.ClientRequest[oidc.AuthRequest]{Request: r, Client: client{c}}, nil
}

// Authorize starts the request and sends the person to the consent
// screen, through the dashboard's sign-in when they are not signed in.
func (p *protocol) Authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	if m := r.Data.ResponseMode; m != "" && m != oidc.ResponseModeQuery {
		return nil, oidc.ErrInvalidRequest().WithDescription("response_mode must be query")
	}
	handle, err := p.apps.Start(ctx, connectedapp.Request{
		Client: r.Client.(client).c, RedirectURI: r.Data.RedirectURI, State: r.Data.State,
		CodeChallenge: r.Data.CodeChallenge, CodeChallengeMethod: string(r.Data.CodeChallengeMethod),
		Resources: r.Form["resource"],
	})
	if err != nil {
		return nil, toOIDC(err)
	}
	return op.NewRedirect(ConsentPath + "?" + url.Values{"request": {handle}}.Encode()), nil
}

// VerifyClient authenticates a client at the token and revocation
// endpoints.
func (p *protocol) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	if r.Data.ClientAssertion != "" {
		return nil, oidc.ErrInvalidClient().WithDescription("client assertions are not supported; send the client secret, or none for a public client")
	}
	c, err := p.apps.Authenticate(ctx, r.Data.ClientID, r.Data.ClientSecret)
	var refusal *connectedapp.Error
	if errors.As(err, &refusal) && refusal.Code == connectedapp.InvalidClient {
		return nil, op.NewStatusError(toOIDC(err), http.StatusUnauthorized) // RFC 6749 section 5.2
	}
	if err != nil {
		return nil, toOIDC(err)
	}
	return client{c}, nil
}

// CodeExchange trades an authorization code for tokens.
func (p *protocol) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	t, err := p.apps.Exchange(ctx, r.Client.(client).c, r.Data.Code, r.Data.CodeVerifier, r.Data.RedirectURI, r.Form["resource"])
	if err != nil {
		return nil, toOIDC(err)
	}
	return tokenResponse(t), nil
}

// RefreshToken rotates a refresh token.
func (p *protocol) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	t, err := p.apps.Refresh(ctx, r.Client.(client).c, r.Data.RefreshToken, r.Data.Scopes, r.Form["resource"])
	if err != nil {
		return nil, toOIDC(err)
	}
	return tokenResponse(t), nil
}

// Revocation revokes a token of the client (RFC 7009).
func (p *protocol) Revocation(ctx context.Context, r *op.ClientRequest[oidc.RevocationRequest]) (*op.Response, error) {
	if err := p.apps.RevokeToken(ctx, r.Client.(client).c, r.Data.Token); err != nil {
		return nil, toOIDC(err)
	}
	return op.NewResponse(struct{}{}), nil
}

func tokenResponse(t connectedapp.Tokens) *op.Response {
	resp := op.NewResponse(&oidc.AccessTokenResponse{
		AccessToken: t.Access, TokenType: oidc.BearerToken, RefreshToken: t.Refresh,
		ExpiresIn: uint64(t.ExpiresIn / time.Second), Scope: strings.Fields(t.Scope),
	})
	resp.Header.Set("Cache-Control", "no-store")
	resp.Header.Set("Pragma", "no-cache")
	return resp
}

// oauthErrors make the library's error for each of connectedapp's codes.
var oauthErrors = map[string]func() *oidc.Error{
	connectedapp.InvalidRequest:     oidc.ErrInvalidRequest,
	connectedapp.InvalidClient:      oidc.ErrInvalidClient,
	connectedapp.InvalidGrant:       oidc.ErrInvalidGrant,
	connectedapp.InvalidScope:       oidc.ErrInvalidScope,
	connectedapp.UnauthorizedClient: oidc.ErrUnauthorizedClient,
	connectedapp.AccessDenied:       oidc.ErrAccessDenied,
	connectedapp.InvalidTarget:      func() *oidc.Error { return &oidc.Error{ErrorType: oidc.InvalidTarget} },
}

// toOIDC turns a refusal of connectedapp into the library's error, which
// it answers or redirects; anything else is a server error, logged.
func toOIDC(err error) error {
	var e *connectedapp.Error
	if errors.As(err, &e) {
		if mk, ok := oauthErrors[e.Code]; ok {
			return mk().WithDescription("%s", e.Description)
		}
		return oidc.ErrInvalidRequest().WithDescription("%s", e.Description)
	}
	return op.NewStatusError(oidc.ErrServerError().WithParent(err).WithDescription("the authorization server failed; try again"), http.StatusInternalServerError)
}

// notRedirected is toOIDC for refusals made before the redirect URI is
// trusted, which the person sees instead of the client.
func notRedirected(err error) error {
	var e *connectedapp.Error
	if errors.As(err, &e) {
		return oidc.ErrInvalidRequestRedirectURI().WithDescription("%s", e.Description)
	}
	return toOIDC(err)
}

// client is a connectedapp client as the library asks about it.
type client struct{ c store.AppClient }

func (c client) GetID() string                    { return c.c.ID }
func (c client) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string { return nil }
func (c client) LoginURL(string) string           { return ConsentPath }
func (c client) AccessTokenType() op.AccessTokenType {
	return op.AccessTokenTypeBearer
}
func (c client) IDTokenLifetime() time.Duration { return 0 }
func (c client) DevMode() bool                  { return false }
func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) IsScopeAllowed(scope string) bool     { return scope == connectedapp.ScopeTools }
func (c client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c client) ClockSkew() time.Duration             { return 0 }
func (c client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c client) ApplicationType() op.ApplicationType {
	if connectedapp.Native(c.c) {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

func (c client) AuthMethod() oidc.AuthMethod {
	switch c.c.AuthMethod {
	case connectedapp.AuthSecretBasic:
		return oidc.AuthMethodBasic
	case connectedapp.AuthSecretPost:
		return oidc.AuthMethodPost
	}
	return oidc.AuthMethodNone
}

func (c client) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, len(c.c.GrantTypes))
	for i, g := range c.c.GrantTypes {
		out[i] = oidc.GrantType(g)
	}
	return out
}
