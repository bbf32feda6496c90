package connectedapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/id"
	"github.com/plugboard/plugboard/internal/naming"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// Token endpoint authentication methods.
const (
	AuthNone        = "none"
	AuthSecretBasic = "client_secret_basic"
	AuthSecretPost  = "client_secret_post"
)

// Grant types a client may use.
const (
	GrantCode    = "authorization_code"
	GrantRefresh = "refresh_token"
)

// Registration is a client's dynamic registration request (RFC 7591),
// with the fields Plugboard uses; others are ignored.
type Registration struct {
	RedirectURIs            []string `json:"redirect_uris"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
}

// Registered is a registered client with its secret, shown once (empty for
// a public client).
type Registered struct {
	Client store.AppClient
	Secret string
}

// Registrations from one address: a burst of 10, then one a minute.
const (
	registrationsPerSecond = 1.0 / 60
	registrationBurst      = 10
)

// Register registers a client (RFC 7591) that came from ip. Clients that
// can keep no secret (desktop and command-line apps) register with the
// method "none" and rely on PKCE; the others get a secret, stored hashed.
func (s *Service) Register(ctx context.Context, in Registration, ip string) (Registered, error) {
	if s.cfg.Rate != nil {
		ok, _, err := s.cfg.Rate.Allow(ctx, "app-register:"+ip, registrationsPerSecond, registrationBurst)
		if err != nil {
			s.cfg.Logger.WarnContext(ctx, "registration limit unavailable", "error", err)
		} else if !ok {
			return Registered{}, oauthError(InvalidClientMeta, "too many client registrations from this address; register once and keep the client_id")
		}
	}
	c := store.AppClient{ID: id.New("pbc"), Kind: store.ClientRegistered, CreatedAt: s.cfg.Now()}
	if err := describe(&c, in.ClientName, in.ClientURI, in.RedirectURIs, in.GrantTypes, in.ResponseTypes); err != nil {
		return Registered{}, err
	}
	switch in.TokenEndpointAuthMethod {
	case "":
		c.AuthMethod = AuthSecretBasic // RFC 7591's default
	case AuthNone, AuthSecretBasic, AuthSecretPost:
		c.AuthMethod = in.TokenEndpointAuthMethod
	default:
		return Registered{}, oauthError(InvalidClientMeta, fmt.Sprintf("token_endpoint_auth_method %q is not supported; use none (with PKCE), client_secret_basic or client_secret_post", in.TokenEndpointAuthMethod))
	}
	var secret string
	if c.AuthMethod != AuthNone {
		secret = vault.NewToken("pbcs_", 32)
		c.SecretHash = vault.HashToken(secret)
	}
	if err := s.cfg.Store.PutAppClient(ctx, c); err != nil {
		return Registered{}, err
	}
	s.cfg.Logger.InfoContext(ctx, "OAuth client registered", "client", c.ID, "name", c.Name, "auth_method", c.AuthMethod)
	return Registered{Client: c, Secret: secret}, nil
}

// describe checks what a client says of itself, from a registration or a
// metadata document, and sets it on c.
func describe(c *store.AppClient, name, uri string, redirects, grants, responses []string) error {
	if strings.TrimSpace(name) != "" {
		n, err := naming.Name(name)
		if err != nil {
			return oauthError(InvalidClientMeta, "client_name "+err.Error())
		}
		c.Name = n
	}
	if uri != "" {
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(uri) > 2000 {
			return oauthError(InvalidClientMeta, "client_uri must be an https URL")
		}
		c.URI = uri
	}
	if len(redirects) == 0 {
		return oauthError(InvalidRedirectURI, "redirect_uris is required: list the URIs the client receives its authorization code at")
	}
	if len(redirects) > 20 {
		return oauthError(InvalidRedirectURI, "at most 20 redirect_uris")
	}
	for _, r := range redirects {
		if msg := redirectProblem(r); msg != "" {
			return oauthError(InvalidRedirectURI, fmt.Sprintf("redirect URI %q: %s", r, msg))
		}
	}
	c.RedirectURIs = slices.Clone(redirects)
	if len(grants) == 0 {
		grants = []string{GrantCode}
	}
	for _, g := range grants {
		if g != GrantCode && g != GrantRefresh {
			return oauthError(InvalidClientMeta, fmt.Sprintf("grant type %q is not supported; use authorization_code and refresh_token", g))
		}
	}
	if !slices.Contains(grants, GrantCode) {
		return oauthError(InvalidClientMeta, "grant_types must include authorization_code")
	}
	c.GrantTypes = slices.Clone(grants)
	for _, r := range responses {
		if r != "code" {
			return oauthError(InvalidClientMeta, fmt.Sprintf("response type %q is not supported; use code", r))
		}
	}
	return nil
}

// redirectProblem says why raw cannot be a redirect URI, or "". A redirect
// URI is https, http on a loopback address (a native app's local server,
// RFC 8252 section 7.3), or a private-use scheme (section 7.1); never a
// scheme a browser would run.
func redirectProblem(raw string) string {
	if len(raw) > 2000 {
		return "too long"
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return "must be an absolute URI"
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "must not have a fragment"
	}
	if u.User != nil {
		return "must not carry a user name or password"
	}
	switch scheme := strings.ToLower(u.Scheme); scheme {
	case "https":
		if !plainHost.MatchString(u.Host) {
			return "must name a host (a DNS name or an IP address, and a port)"
		}
	case "http":
		if !loopbackHost(u.Hostname()) {
			return "http is only for loopback addresses (127.0.0.1, [::1] or localhost); use https"
		}
	case "javascript", "data", "vbscript", "file", "blob", "about", "ftp", "ws", "wss":
		return fmt.Sprintf("the scheme %q is not allowed", scheme)
	default:
		if !plainScheme.MatchString(u.Scheme) || u.Host != "" && !plainHost.MatchString(u.Host) {
			return "its scheme or host holds characters a URI's may not"
		}
		if u.Opaque == "" && u.Host == "" && u.Path == "" {
			return "a private-use scheme needs a path, e.g. com.example.app:/oauth/callback"
		}
	}
	return ""
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RedirectAllowed reports whether a client may be sent to requested: a
// registered redirect URI exactly, or a registered loopback http one on
// another port (a native app picks a free port each time).
func RedirectAllowed(c store.AppClient, requested string) bool {
	if slices.Contains(c.RedirectURIs, requested) {
		return true
	}
	u, err := url.Parse(requested)
	if err != nil || u.Scheme != "http" || !loopbackHost(u.Hostname()) || u.User != nil || u.Fragment != "" {
		return false
	}
	for _, r := range c.RedirectURIs {
		reg, err := url.Parse(r)
		if err == nil && reg.Scheme == "http" && strings.EqualFold(reg.Hostname(), u.Hostname()) &&
			reg.EscapedPath() == u.EscapedPath() && reg.RawQuery == u.RawQuery {
			return true
		}
	}
	return false
}

// Native reports whether a client is a native app: one with a loopback or
// private-use redirect URI.
func Native(c store.AppClient) bool {
	for _, r := range c.RedirectURIs {
		u, err := url.Parse(r)
		if err == nil && (u.Scheme != "https" && u.Scheme != "http" || u.Scheme == "http" && loopbackHost(u.Hostname())) {
			return true
		}
	}
	return false
}

// Client finds the client a client_id names: a registered client, or the
// client whose metadata document is at that https URL (read again when
// the copy is older than a few minutes). The error says what to fix.
func (s *Service) Client(ctx context.Context, clientID string) (store.AppClient, error) {
	if IsDocumentID(clientID) {
		return s.documentClient(ctx, clientID)
	}
	return s.StoredClient(ctx, clientID)
}

// StoredClient loads a client Plugboard knows, without reading a metadata
// document: for the token and revocation endpoints, which follow an
// authorization that read it.
func (s *Service) StoredClient(ctx context.Context, clientID string) (store.AppClient, error) {
	c, err := s.cfg.Store.GetAppClient(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return store.AppClient{}, oauthError(InvalidClient, "unknown client_id; register the client again (its registration may have been made with another Plugboard server)")
	}
	return c, err
}

// Authenticate checks a client's credentials at the token and revocation
// endpoints: public clients send none, the others their secret.
func (s *Service) Authenticate(ctx context.Context, clientID, secret string) (store.AppClient, error) {
	c, err := s.StoredClient(ctx, clientID)
	if err != nil {
		return store.AppClient{}, err
	}
	if c.AuthMethod == AuthNone {
		return c, nil
	}
	if secret == "" || !vault.EqualHash(vault.HashToken(secret), c.SecretHash) {
		return store.AppClient{}, oauthError(InvalidClient, "the client secret is wrong or missing; send the secret issued at registration")
	}
	return c, nil
}

// DisplayName is how a client is named to people: the name it gives, else
// the host of its client ID URL or first redirect URI.
func DisplayName(c store.AppClient) string {
	if c.Name != "" {
		return c.Name
	}
	if h := Origin(c); h != "" {
		return h
	}
	return "An unnamed app"
}

// Origin is where a client says it comes from, for the consent screen: the
// host of its client ID URL, or else of its first redirect URI (or its
// scheme, for a private-use one).
func Origin(c store.AppClient) string {
	if c.Kind == store.ClientDocument {
		if u, err := url.Parse(c.ID); err == nil {
			return u.Host
		}
	}
	if len(c.RedirectURIs) > 0 {
		if u, err := url.Parse(c.RedirectURIs[0]); err == nil {
			if u.Host != "" {
				return u.Host
			}
			return u.Scheme + ":"
		}
	}
	return ""
}

func (s *Service) now() time.Time { return s.cfg.Now() }
