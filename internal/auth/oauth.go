package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/netguard"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// OAuthOptions tune OAuth 2.0 token handling. Zero fields take defaults.
type OAuthOptions struct {
	// HTTPClient makes every token and revocation request; it must be the
	// outbound client's HTTPClient so the address guard and caps apply.
	HTTPClient *http.Client
	// RedirectURL is <PublicURL>/oauth/callback.
	RedirectURL string
	// Skew is how long before expiry a token is renewed; never more than
	// half the token's lifetime. Defaults to 60s.
	Skew time.Duration
	// TokenTimeout bounds one token request. Defaults to 15s.
	TokenTimeout time.Duration
	// Attempts is how many times a token request that failed in a way
	// worth retrying (network, timeout, 5xx, 429) is tried. Defaults to 3.
	Attempts int
	// Backoff is the wait before the first retry; it doubles after each.
	// Defaults to 250ms.
	Backoff time.Duration
	// RefreshBudget caps how long one refresh may take in all, retries
	// included, when the call that needs it has no earlier deadline.
	// Defaults to 45s.
	RefreshBudget time.Duration
	// StateTTL is how long an authorization link stays valid. Defaults to
	// 10 minutes.
	StateTTL time.Duration
}

func (o OAuthOptions) withDefaults() OAuthOptions {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Skew <= 0 {
		o.Skew = 60 * time.Second
	}
	if o.TokenTimeout <= 0 {
		o.TokenTimeout = 15 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = 250 * time.Millisecond
	}
	if o.RefreshBudget <= 0 {
		o.RefreshBudget = 45 * time.Second
	}
	if o.StateTTL <= 0 {
		o.StateTTL = 10 * time.Minute
	}
	return o
}

// authStyle picks how the client authenticates at the token endpoint: the
// definition's choice, else HTTP Basic for confidential clients and the
// body for public (PKCE-only) clients, which have no secret to send.
func authStyle(a connector.Auth, c connector.Credentials) oauth2.AuthStyle {
	switch {
	case a.TokenAuth == connector.InHeader:
		return oauth2.AuthStyleInHeader
	case a.TokenAuth == connector.InBody || c.ClientSecret == "":
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

func (p *Provider) config(a connector.Auth, c connector.Credentials, redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: redirect, Scopes: a.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: a.AuthorizeURL, TokenURL: a.TokenURL, AuthStyle: authStyle(a, c)},
	}
}

// withHTTP makes x/oauth2 send its requests through the outbound client.
func (p *Provider) withHTTP(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.oauth.HTTPClient)
}

// fetch gets a new token: client credentials, or the refresh token grant.
// Failures worth retrying are retried with backoff while ctx allows.
func (p *Provider) fetch(ctx context.Context, a connector.Auth, c connector.Credentials) (*oauth2.Token, error) {
	ctx = p.withHTTP(ctx)
	delay := p.oauth.Backoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.oauth.TokenTimeout)
		var tok *oauth2.Token
		var err error
		if a.Grant == connector.GrantClientCredentials {
			cc := &clientcredentials.Config{
				ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: a.TokenURL, Scopes: a.Scopes,
				EndpointParams: extraValues(a.ExtraParams), AuthStyle: authStyle(a, c),
			}
			tok, err = cc.Token(actx)
		} else {
			tok, err = p.config(a, c, "").TokenSource(actx, &oauth2.Token{RefreshToken: c.RefreshToken}).Token()
		}
		cancel()
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil || attempt >= p.oauth.Attempts || !transient(err) {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			return nil, err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, err
		}
		delay *= 2
	}
}

func extraValues(m map[string]string) url.Values {
	if len(m) == 0 {
		return nil
	}
	v := url.Values{}
	for k, s := range m {
		v.Set(k, s)
	}
	return v
}

// transient reports whether a failed token request may succeed if tried
// again: the network failed or timed out, or the server answered 5xx or
// 429. OAuth errors (4xx with an error code) and refused destinations are
// final.
func transient(err error) bool {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.Response == nil {
			return false
		}
		s := re.Response.StatusCode
		return s >= 500 || s == http.StatusTooManyRequests
	}
	var blocked *netguard.BlockedError
	var tooLarge *outbound.TooLargeError
	if errors.As(err, &blocked) || errors.As(err, &tooLarge) {
		return false
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// refused reports whether the provider refused the grant itself, which
// no retry fixes: the user must reconnect (or fix the client credentials).
func refused(err error) (string, bool) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return "", false
	}
	switch re.ErrorCode {
	case "invalid_grant", "invalid_client", "unauthorized_client":
		return describe(re), true
	}
	return "", false
}

// describe puts a provider error in words: its code and description.
func describe(re *oauth2.RetrieveError) string {
	switch {
	case re.ErrorCode != "" && re.ErrorDescription != "":
		return re.ErrorCode + ": " + re.ErrorDescription
	case re.ErrorCode != "":
		return re.ErrorCode
	case re.Response != nil:
		return "HTTP " + re.Response.Status
	}
	return re.Error()
}

// ReconnectHint tells the user how to bring a connection back: authorize
// it again in a browser, or replace the client credentials.
func ReconnectHint(c store.Connection, grant string) string {
	if grant == connector.GrantClientCredentials {
		return fmt.Sprintf("replace its client_id/client_secret with PUT /v1/integrations/%s/connections/%s", c.IntegrationID, c.ID)
	}
	return fmt.Sprintf("reconnect it: open GET /v1/integrations/%s/connections/%s/authorize in a browser or run `plugboard connections authorize %s %s`",
		c.IntegrationID, c.ID, c.IntegrationID, c.ID)
}

// reauthProblem is the 409 a call gets while its connection needs the
// user to reconnect.
func reauthProblem(c store.Connection, grant, reason string) error {
	return problem.Conflict("the %s connection %s needs to be reconnected (%s); %s", c.Environment, c.ID, reason, ReconnectHint(c, grant))
}

// tokenProblem turns a token request that failed for another reason into
// a problem the caller can act on.
func tokenProblem(c store.Connection, err error) error {
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		return &problem.Error{Status: http.StatusBadGateway, Title: "Token request failed",
			Detail: fmt.Sprintf("the token endpoint of connection %s refused the request (%s); check the integration's OAuth 2.0 settings", c.ID, describe(re)), Cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &problem.Error{Status: http.StatusGatewayTimeout, Title: "Token endpoint timeout",
			Detail: fmt.Sprintf("the token endpoint of connection %s did not answer in time; retry shortly", c.ID), RetryAfter: 5 * time.Second, Cause: err}
	case errors.Is(err, context.Canceled):
		return &problem.Error{Status: 499, Title: "Client closed request", Detail: "the call was cancelled", Cause: err}
	}
	return &problem.Error{Status: http.StatusBadGateway, Title: "Token endpoint unreachable",
		Detail: fmt.Sprintf("could not get a token for connection %s: %v", c.ID, err), Cause: err}
}
