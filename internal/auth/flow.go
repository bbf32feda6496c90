package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// StartAuthorization begins the authorization code flow for conn on behalf
// of userID and returns the provider's URL to send the user's browser to.
// The state in it is random, stored only hashed, bound to conn and the
// user, valid once and for StateTTL; with PKCE (the default) the verifier
// stays sealed on the server.
func (p *Provider) StartAuthorization(ctx context.Context, conn store.Connection, a connector.Auth, userID string) (string, error) {
	if a.Type != connector.AuthOAuth2 || a.Grant != connector.GrantAuthorizationCode {
		return "", problem.Conflict("connection %s belongs to an integration whose auth is not the OAuth 2.0 authorization code grant; there is nothing to authorize in a browser", conn.ID)
	}
	if a.AuthorizeURL == "" {
		return "", problem.Conflict("the integration declares no auth.authorize_url; add the provider's authorization endpoint to its definition")
	}
	s, err := p.open(conn)
	if err != nil {
		return "", err
	}
	if s.ClientID == "" {
		return "", problem.Conflict("connection %s has no client_id; set it with PUT /v1/integrations/%s/connections/%s {\"credentials\": {\"client_id\": …}}", conn.ID, conn.IntegrationID, conn.ID)
	}
	if p.oauth.RedirectURL == "" {
		return "", errors.New("auth: the OAuth redirect URL is not configured")
	}
	state := vault.NewToken("", 32)
	st := store.OAuthState{
		ID: vault.HashToken(state), OrgID: conn.OrgID, ConnectionID: conn.ID, UserID: userID,
		RedirectURI: p.oauth.RedirectURL, ExpiresAt: time.Now().Add(p.oauth.StateTTL),
	}
	var opts []oauth2.AuthCodeOption
	for k, v := range a.ExtraParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	if a.UsesPKCE() {
		verifier := oauth2.GenerateVerifier()
		if st.Verifier, err = p.vault.Seal([]byte(verifier), []byte(st.ID)); err != nil {
			return "", err
		}
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	if err := p.store.CreateOAuthState(ctx, st); err != nil {
		return "", err
	}
	return p.config(a, s.Credentials, st.RedirectURI).AuthCodeURL(state, opts...), nil
}

// FlowError is a failed callback, in words for the person in the browser.
type FlowError struct {
	Status  int    // HTTP status of the page
	Title   string // short headline
	Message string // what happened and what to do
	Cause   error  // for the log, never shown
}

func (e *FlowError) Error() string { return e.Title + ": " + e.Message }

func flowErr(status int, title, format string, args ...any) *FlowError {
	return &FlowError{Status: status, Title: title, Message: fmt.Sprintf(format, args...)}
}

// Callback is what the provider sent back to /oauth/callback.
type Callback struct {
	State, Code             string
	Error, ErrorDescription string
}

// Authorized is a connection the callback authorized: Connection holds the
// sealed tokens and the active status, to be saved by the caller (with its
// audit entry); By is the member who started the flow.
type Authorized struct {
	Connection  store.Connection
	Integration store.Integration
	By          store.Principal
}

// CompleteAuthorization finishes the flow the callback belongs to: it
// uses up the state and exchanges the code (with the PKCE verifier) for
// tokens, which it returns sealed in the connection, active, for the
// caller to save. Failures are *FlowError; the provider's own error is
// reported in its words.
func (p *Provider) CompleteAuthorization(ctx context.Context, cb Callback) (*Authorized, error) {
	if cb.State == "" {
		return nil, flowErr(http.StatusBadRequest, "Missing state", "This page expects the provider's answer to an authorization Plugboard started, with its state parameter. Start again from Plugboard.")
	}
	st, err := p.store.ConsumeOAuthState(ctx, vault.HashToken(cb.State))
	if errors.Is(err, store.ErrNotFound) {
		return nil, flowErr(http.StatusBadRequest, "Link not valid", "This authorization link is not valid or was already used; each link works once. Start the connection again from Plugboard.")
	}
	if err != nil {
		return nil, err
	}
	if time.Now().After(st.ExpiresAt) {
		return nil, flowErr(http.StatusBadRequest, "Link expired", "This authorization link expired; links are valid for %d minutes. Start the connection again from Plugboard.", int(p.oauth.StateTTL.Minutes()))
	}
	conn, err := p.store.GetConnectionByID(ctx, st.ConnectionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, flowErr(http.StatusBadRequest, "Connection gone", "The connection this authorization was for has been deleted.")
	}
	if err != nil {
		return nil, err
	}
	// The state is bound to the user who started the flow: it may only
	// complete a shared connection or that user's own, and only while the
	// user still belongs to the connection's organization.
	who, err := p.store.PrincipalByUserID(ctx, st.UserID)
	if conn.OrgID != st.OrgID || (conn.UserID != "" && conn.UserID != st.UserID) || err != nil || who.Org.ID != conn.OrgID {
		return nil, flowErr(http.StatusBadRequest, "Link not valid", "This authorization link does not belong to this connection. Start the connection again from Plugboard.")
	}
	in, a, err := p.definition(ctx, conn)
	if err != nil {
		return nil, err
	}
	if cb.Error != "" {
		msg := providerError(cb.Error, cb.ErrorDescription)
		p.noteFailure(ctx, conn, "authorization failed: "+msg)
		return nil, flowErr(http.StatusBadRequest, "Not connected", "%s answered: %s. Nothing was stored; start the connection again from Plugboard to retry.", in.Name, msg)
	}
	if cb.Code == "" {
		p.noteFailure(ctx, conn, "authorization failed: the provider sent no code")
		return nil, flowErr(http.StatusBadRequest, "Not connected", "%s sent neither an authorization code nor an error. Start the connection again from Plugboard.", in.Name)
	}
	s, err := p.open(conn)
	if err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	if st.Verifier != "" {
		verifier, err := p.vault.Open(st.Verifier, []byte(st.ID))
		if err != nil {
			return nil, err
		}
		opts = append(opts, oauth2.VerifierOption(string(verifier)))
	}
	xctx, cancel := context.WithTimeout(p.withHTTP(ctx), p.oauth.TokenTimeout)
	defer cancel()
	tok, err := p.config(a, s.Credentials, st.RedirectURI).Exchange(xctx, cb.Code, opts...)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			msg := describe(re)
			p.noteFailure(ctx, conn, "authorization failed: the token endpoint refused the code: "+msg)
			return nil, &FlowError{Status: http.StatusBadRequest, Title: "Not connected", Cause: err,
				Message: fmt.Sprintf("%s refused to exchange the authorization code: %s. Start the connection again from Plugboard.", in.Name, msg)}
		}
		p.logger.WarnContext(ctx, "oauth code exchange failed", "connection", conn.ID, "error", err)
		p.noteFailure(ctx, conn, "authorization failed: the token endpoint could not be reached")
		return nil, &FlowError{Status: http.StatusBadGateway, Title: "Not connected", Cause: err,
			Message: fmt.Sprintf("Plugboard could not reach the token endpoint of %s. Try again in a moment.", in.Name)}
	}
	s.AccessToken, s.RefreshToken, s.TokenType, s.Expiry, s.IssuedAt = tok.AccessToken, tok.RefreshToken, tok.TokenType, tok.Expiry, time.Now()
	if conn.Secret, err = p.seal(conn.ID, s); err != nil {
		return nil, err
	}
	conn.Status, conn.StatusReason, conn.TokenExpiry = store.ConnActive, "", s.Expiry
	return &Authorized{Connection: conn, Integration: in, By: who}, nil
}

// noteFailure records why a flow failed on a connection that is not
// working anyway, so the CLI waiting for it can stop and say why. A
// working connection is left alone.
func (p *Provider) noteFailure(ctx context.Context, conn store.Connection, reason string) {
	if conn.Status == store.ConnActive {
		return
	}
	if err := p.store.SetConnectionStatus(ctx, conn.ID, conn.Status, reason); err != nil {
		p.logger.WarnContext(ctx, "record oauth failure", "connection", conn.ID, "error", err)
	}
}

// providerError words the error codes of RFC 6749 section 4.1.2.1.
func providerError(code, description string) string {
	words := map[string]string{
		"access_denied":             "access was denied (the request was declined)",
		"invalid_request":           "the authorization request was malformed",
		"unauthorized_client":       "this client may not use the authorization code grant",
		"unsupported_response_type": "the provider does not support the authorization code flow here",
		"invalid_scope":             "a requested scope is unknown or not allowed",
		"server_error":              "the provider had an internal error",
		"temporarily_unavailable":   "the provider is temporarily unavailable",
	}[code]
	if words == "" {
		words = code
	} else {
		words = code + ": " + words
	}
	if description != "" {
		words += " (" + description + ")"
	}
	return words
}

// definition loads the latest definition of conn's integration, whose
// OAuth 2.0 endpoints the flow and revocation use.
func (p *Provider) definition(ctx context.Context, conn store.Connection) (store.Integration, connector.Auth, error) {
	in, err := p.store.GetIntegration(ctx, conn.OrgID, conn.IntegrationID)
	if err != nil {
		return store.Integration{}, connector.Auth{}, fmt.Errorf("load integration %s: %w", conn.IntegrationID, err)
	}
	v, err := p.store.GetVersion(ctx, in.ID, in.LatestVersion)
	if err != nil {
		return in, connector.Auth{}, fmt.Errorf("load integration %s v%d: %w", in.ID, in.LatestVersion, err)
	}
	def, err := connector.Parse(v.Definition)
	if err != nil {
		return in, connector.Auth{}, fmt.Errorf("integration %s v%d no longer parses: %w", in.ID, in.LatestVersion, err)
	}
	return in, def.Auth, nil
}
