// Package authserver is the surface of Plugboard's OAuth 2.1 authorization
// server, which MCP clients use to sign a person in and get tokens for
// /mcp. It translates HTTP into the operations of package connectedapp,
// where the rules are.
//
// The protocol work (routing, decoding requests, client credentials from
// Basic or form, redirect URI and response type checks, error responses
// and error redirects with the client's state) is done by the OpenID
// provider library github.com/zitadel/oidc/v3/pkg/op, through its Server
// interface; this package answers its questions. It adds what the library
// does not do: resource indicators (RFC 8707), the issuer in the
// authorization response (RFC 9207), client ID metadata documents, dynamic
// client registration (RFC 7591), and HTML error pages for people where
// the library would answer JSON.
//
// Endpoints, under the public URL (the issuer):
//
//	GET  /.well-known/oauth-authorization-server   metadata (RFC 8414)
//	GET  /oauth/authorize                          sends the person to sign in and consent
//	POST /oauth/token                              codes and refresh tokens for tokens
//	POST /oauth/register                           dynamic client registration
//	POST /oauth/revoke                             token revocation (RFC 7009)
package authserver

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/plugboard/plugboard/internal/clientip"
	"github.com/plugboard/plugboard/internal/connectedapp"
)

// Paths of the endpoints, relative to the issuer. A public URL with a path
// is served behind a proxy that strips it, as for every other route.
const (
	AuthorizePath = "/oauth/authorize"
	TokenPath     = "/oauth/token"
	RegisterPath  = "/oauth/register"
	RevokePath    = "/oauth/revoke"
	// ConsentPath is the dashboard's consent screen, where an
	// authorization request goes to be decided.
	ConsentPath = "/oauth/consent"
)

// Config wires the server.
type Config struct {
	Apps *connectedapp.Service
	// ErrorPage shows a person a refusal they cannot be redirected with
	// (an unknown client, a redirect URI it did not register).
	ErrorPage func(w http.ResponseWriter, r *http.Request, status int, title, detail string)
	// Clients finds a registering client's address behind trusted
	// proxies. Defaults to the connection's peer.
	Clients *clientip.Resolver
	Logger  *slog.Logger
}

// Server serves the authorization server's endpoints.
type Server struct {
	cfg      Config
	protocol http.Handler
	metadata http.Handler
	register http.Handler
}

// New returns the server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	issuer := cfg.Apps.Issuer()
	// Clients in browsers (hosted agent builders) call the token and
	// revocation endpoints from their own origin, with no cookies: every
	// origin may, without credentials.
	corsOpts := &cors.Options{
		AllowedOrigins: []string{"*"},
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept", "MCP-Protocol-Version"},
	}
	s := &Server{cfg: cfg}
	s.protocol = op.RegisterServer(&protocol{apps: cfg.Apps}, op.Endpoints{
		Authorization: op.NewEndpoint(AuthorizePath),
		Token:         op.NewEndpoint(TokenPath),
		Revocation:    op.NewEndpoint(RevokePath),
	}, op.WithServerCORSOptions(corsOpts), op.WithEncoder(issuerEncoder{issuer: issuer, inner: oidc.NewEncoder()}))
	s.metadata = op.RegisterMetadataServer(&metadata{apps: cfg.Apps, path: issuerPath(issuer)}, op.WithServerCORSOptions(corsOpts))
	s.register = cors.New(*corsOpts).Handler(http.HandlerFunc(s.registerClient))
	return s
}

// Register mounts the endpoints on mux. browser wraps the one a person's
// browser opens (the host check against DNS rebinding).
func (s *Server) Register(mux *http.ServeMux, browser func(http.Handler) http.Handler) {
	mux.Handle("/.well-known/oauth-authorization-server", s.metadata)
	mux.Handle("/.well-known/oauth-authorization-server/", s.metadata)
	mux.Handle(AuthorizePath, browser(s.pages(s.protocol)))
	mux.Handle(TokenPath, s.protocol)
	mux.Handle(RevokePath, s.protocol)
	mux.Handle(RegisterPath, s.register)
}

// issuerPath is the path of the issuer URL, "" when it has none.
func issuerPath(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(u.Path, "/")
}

// issuerEncoder adds the issuer to the error redirects of authorization
// requests (RFC 9207), as the consent screen adds it to its answers.
type issuerEncoder struct {
	issuer string
	inner  interface {
		Encode(src any, dst map[string][]string) error
	}
}

func (e issuerEncoder) Encode(src any, dst map[string][]string) error {
	if err := e.inner.Encode(src, dst); err != nil {
		return err
	}
	dst["iss"] = []string{e.issuer}
	return nil
}
