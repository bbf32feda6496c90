package authserver

import (
	"context"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/plugboard/plugboard/internal/connectedapp"
)

// metadata serves the authorization server metadata (RFC 8414). Plugboard
// is no OpenID provider (it issues no ID tokens), so the OpenID
// configuration is not found.
type metadata struct {
	op.UnimplementedMetadataServer
	apps *connectedapp.Service
	path string // the issuer's path
}

// serverMetadata is the library's metadata document with the field of
// RFC 9207 it lacks.
type serverMetadata struct {
	*oidc.DiscoveryConfiguration
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

func (m *metadata) AuthorizationServerMetadata(_ context.Context, r *op.Request[op.MetadataRequest]) (*op.Response, error) {
	if r.Data.IssuerPath != "" && r.Data.IssuerPath != m.path {
		return nil, op.NewStatusError(oidc.ErrInvalidRequest().WithDescription("no authorization server at this path"), http.StatusNotFound)
	}
	iss := m.apps.Issuer()
	auth := []oidc.AuthMethod{oidc.AuthMethodNone, oidc.AuthMethodBasic, oidc.AuthMethodPost}
	resp := op.NewResponse(serverMetadata{
		DiscoveryConfiguration: &oidc.DiscoveryConfiguration{
			Issuer:                                 iss,
			AuthorizationEndpoint:                  iss + AuthorizePath,
			TokenEndpoint:                          iss + TokenPath,
			RegistrationEndpoint:                   iss + RegisterPath,
			RevocationEndpoint:                     iss + RevokePath,
			ClientIDMetadataDocumentSupported:      true,
			ScopesSupported:                        []string{connectedapp.ScopeTools, connectedapp.ScopeOffline},
			ResponseTypesSupported:                 []string{string(oidc.ResponseTypeCode)},
			ResponseModesSupported:                 []string{string(oidc.ResponseModeQuery)},
			GrantTypesSupported:                    []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken},
			TokenEndpointAuthMethodsSupported:      auth,
			RevocationEndpointAuthMethodsSupported: auth,
			CodeChallengeMethodsSupported:          []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256},
		},
		IssParameterSupported: true,
	})
	resp.Header.Set("Cache-Control", "public, max-age=300")
	return resp, nil
}
