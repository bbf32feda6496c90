package mcp

// /mcp is an OAuth 2.1 protected resource (RFC 9728): MCP clients that a
// person signed in present an access token issued by Plugboard's
// authorization server (package authserver), checked on every request
// for its audience (RFC 8707) and against revocation. Agent keys keep
// working beside them, for servers and scripts.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/plugboard/plugboard/internal/connectedapp"
	"github.com/plugboard/plugboard/internal/problem"
)

// MetadataPath is where protected resource metadata is served; the
// metadata of /mcp itself is at MetadataPath + "/mcp".
const MetadataPath = "/.well-known/oauth-protected-resource"

// Resources are the resource identifiers of a server at publicURL, for
// the audience of access tokens: /mcp, which clients name, and the server
// itself, which the metadata at the root names.
func Resources(publicURL string) []string {
	return []string{publicURL + "/mcp", publicURL}
}

// metadataURL is the URL of /mcp's resource metadata: the well-known path
// inserted between the public URL's host and its path (RFC 9728 section
// 3.1).
func metadataURL(publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil || publicURL == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + MetadataPath + strings.TrimSuffix(u.Path, "/") + "/mcp"
}

// ResourceMetadata serves the protected resource metadata of /mcp (at
// MetadataPath/mcp) and of the server (at MetadataPath): which
// authorization server issues the tokens, and the scopes.
func (s *Server) ResourceMetadata() http.Handler {
	meta := func(resource string) http.Handler {
		return auth.ProtectedResourceMetadataHandler(&oauthex.ProtectedResourceMetadata{
			Resource:               resource,
			AuthorizationServers:   []string{s.cfg.PublicURL},
			ScopesSupported:        []string{connectedapp.ScopeTools, connectedapp.ScopeOffline},
			BearerMethodsSupported: []string{"header"},
			ResourceName:           "Plugboard tools (MCP)",
		})
	}
	resources := Resources(s.cfg.PublicURL)
	forMCP, forServer := meta(resources[0]), meta(resources[1])
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch rest := strings.TrimPrefix(r.URL.Path, MetadataPath); {
		case strings.HasSuffix(rest, "/mcp"):
			forMCP.ServeHTTP(w, r)
		case rest == "" || rest == "/":
			forServer.ServeHTTP(w, r)
		default:
			problem.Write(w, problem.NotFound("no protected resource here; the MCP endpoint's metadata is at %s", metadataURL(s.cfg.PublicURL)))
		}
	})
}

// challenge answers a request without a valid token with 401 and the
// WWW-Authenticate header that sends an MCP client to sign in: where the
// resource metadata is, and the scope to ask for. code is the RFC 6750
// error, "" when no token was sent.
func (s *Server) challenge(w http.ResponseWriter, code string, p *problem.Error) {
	params := []string{`realm="plugboard"`}
	if u := metadataURL(s.cfg.PublicURL); u != "" {
		params = append(params, fmt.Sprintf("resource_metadata=%q", u))
	}
	params = append(params, fmt.Sprintf("scope=%q", connectedapp.ScopeTools))
	if code != "" {
		params = append(params, fmt.Sprintf("error=%q", code))
	}
	w.Header().Set("WWW-Authenticate", "Bearer "+strings.Join(params, ", "))
	problem.Write(w, p)
}

// bearer resolves the bearer token of a request: an access token of a
// connected app, or an agent key. Unknown ones of either count against
// the client's address as guesses.
func (s *Server) bearer(r *http.Request, token string) (*auth.TokenInfo, error) {
	ip := s.cfg.Clients.Addr(r).String()
	if s.cfg.Apps == nil || !strings.HasPrefix(token, connectedapp.AccessPrefix) {
		a, err := s.cfg.Accounts.AgentKey(r.Context(), token, ip)
		if err != nil {
			return nil, err
		}
		return &auth.TokenInfo{UserID: a.ID, Extra: map[string]any{"agent": a}}, nil
	}
	var acc connectedapp.Access
	err := s.cfg.Accounts.Guess(r.Context(), ip, func() (bool, error) {
		var err error
		acc, err = s.cfg.Apps.Verify(r.Context(), token)
		if errors.Is(err, connectedapp.ErrUnknownToken) {
			return false, nil
		}
		return true, err
	})
	var refused *connectedapp.Refused
	switch {
	case errors.As(err, &refused):
		return nil, problem.New(http.StatusUnauthorized, "%s", refused.Reason)
	case err != nil:
		return nil, err
	case acc.App.ID == "":
		return nil, problem.New(http.StatusUnauthorized, "the access token is unknown; sign in again")
	case !s.audience(acc.Resource):
		return nil, problem.New(http.StatusUnauthorized, "the access token is for %s, not for %s; sign in to this server", acc.Resource, Resources(s.cfg.PublicURL)[0])
	}
	return &auth.TokenInfo{UserID: acc.App.ID, Scopes: acc.Scopes, Expiration: acc.Expires, Extra: map[string]any{"agent": acc.App}}, nil
}

// audience reports whether a token for resource may be used here.
func (s *Server) audience(resource string) bool {
	for _, r := range Resources(s.cfg.PublicURL) {
		if oauthex.MatchesResource([]string{resource}, r) {
			return true
		}
	}
	return false
}
