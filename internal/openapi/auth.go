package openapi

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/plugboard/plugboard/internal/connector"
)

// importAuth maps the document's security schemes onto the one auth an
// integration has. The schemes the document requires for every operation
// come first, then the others by name; the first that Plugboard can use
// wins, and every other scheme is reported with the reason it was not used.
func importAuth(spec *openapi3.T, report *Report) connector.Auth {
	var schemes openapi3.SecuritySchemes
	if spec.Components != nil {
		schemes = spec.Components.SecuritySchemes
	}
	if len(schemes) == 0 {
		return connector.Auth{Type: connector.AuthNone}
	}

	order, scopes := schemeOrder(spec.Security, schemes)
	var chosen connector.Auth
	chosenName := ""
	for _, name := range order {
		ref := schemes[name]
		if ref == nil || ref.Value == nil {
			report.skip("security scheme "+name, "the scheme is empty")
			continue
		}
		auth, reason := mapScheme(ref.Value, scopes[name])
		switch {
		case reason != "":
			report.skip("security scheme "+name, "%s", reason)
			continue
		case chosenName != "":
			report.skip("security scheme "+name, "not used: an integration has one auth method and %s was chosen; change the auth by hand to use this one", chosenName)
			continue
		}
		chosen, chosenName = auth, name
	}
	if chosenName == "" {
		return connector.Auth{Type: connector.AuthNone}
	}
	return chosen
}

// schemeOrder lists the scheme names in order of preference and the scopes
// the global requirements ask for each.
func schemeOrder(global openapi3.SecurityRequirements, schemes openapi3.SecuritySchemes) ([]string, map[string][]string) {
	var order []string
	scopes := map[string][]string{}
	seen := map[string]bool{}
	for _, req := range global {
		for _, name := range slices.Sorted(maps.Keys(req)) {
			if _, ok := schemes[name]; !ok || seen[name] {
				continue
			}
			seen[name] = true
			order = append(order, name)
			scopes[name] = req[name]
		}
	}
	for _, name := range slices.Sorted(maps.Keys(schemes)) {
		if !seen[name] {
			order = append(order, name)
		}
	}
	return order, scopes
}

// mapScheme converts one security scheme, or says why it cannot be.
func mapScheme(s *openapi3.SecurityScheme, wanted []string) (connector.Auth, string) {
	switch strings.ToLower(s.Type) {
	case "apikey":
		switch s.In {
		case "header", "query":
			if s.Name == "" {
				return connector.Auth{}, "the API key scheme does not name its " + s.In
			}
			return connector.Auth{Type: connector.AuthAPIKey, Location: s.In, Key: s.Name}, ""
		default:
			return connector.Auth{}, fmt.Sprintf("API keys sent in a %s are not supported, only in a header or a query parameter", firstNonEmpty(s.In, "unnamed location"))
		}
	case "http":
		switch strings.ToLower(s.Scheme) {
		case "basic":
			return connector.Auth{Type: connector.AuthBasic}, ""
		case "bearer":
			return connector.Auth{Type: connector.AuthBearer}, ""
		default:
			return connector.Auth{}, fmt.Sprintf("HTTP %q authentication is not supported, only basic and bearer", s.Scheme)
		}
	case "oauth2":
		return mapOAuth2(s.Flows, wanted)
	case "openidconnect":
		return connector.Auth{}, "OpenID Connect discovery is not supported; set up OAuth 2.0 by hand with the provider's authorize and token URLs"
	default:
		return connector.Auth{}, fmt.Sprintf("security scheme type %q is not supported", s.Type)
	}
}

// mapOAuth2 prefers the authorization code flow, always with PKCE, then
// client credentials. The implicit and password flows are left out: both
// are deprecated by the OAuth 2.0 Security Best Current Practice.
func mapOAuth2(flows *openapi3.OAuthFlows, wanted []string) (connector.Auth, string) {
	if flows == nil {
		return connector.Auth{}, "the OAuth 2.0 scheme declares no flows"
	}
	if f := flows.AuthorizationCode; f != nil {
		pkce := true
		return connector.Auth{
			Type:         connector.AuthOAuth2,
			Grant:        "authorization_code",
			AuthorizeURL: f.AuthorizationURL,
			TokenURL:     f.TokenURL,
			Scopes:       flowScopes(f, wanted),
			PKCE:         &pkce,
		}, ""
	}
	if f := flows.ClientCredentials; f != nil {
		return connector.Auth{
			Type:     connector.AuthOAuth2,
			Grant:    "client_credentials",
			TokenURL: f.TokenURL,
			Scopes:   flowScopes(f, wanted),
		}, ""
	}
	var have []string
	if flows.Implicit != nil {
		have = append(have, "implicit")
	}
	if flows.Password != nil {
		have = append(have, "password")
	}
	return connector.Auth{}, fmt.Sprintf("OAuth 2.0 %s flow is not supported (deprecated for security reasons); only authorization code and client credentials are", strings.Join(have, " and "))
}

// flowScopes asks for the scopes the document requires when it says which,
// else for every scope the flow offers.
func flowScopes(f *openapi3.OAuthFlow, wanted []string) []string {
	if len(wanted) > 0 {
		return slices.Clone(wanted)
	}
	return slices.Sorted(maps.Keys(f.Scopes))
}
