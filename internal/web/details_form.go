package web

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/connector"
)

// detailsForm is step 1, the API details, as the form shows them. Input
// names are the definition's JSON paths, so a validation error's field
// lands next to its input.
type detailsForm struct {
	Name, Description, BaseURL, DocumentationURL string
	AuthType, Location, Key, Prefix              string
	Grant, AuthorizeURL, TokenURL, Scopes        string
}

// detailsFields are the fields step 1 shows, by JSON path.
var detailsFields = []string{"name", "description", "baseUrl", "documentationUrl", "auth", "auth.type", "auth.location", "auth.key", "auth.prefix", "auth.grant", "auth.authorize_url", "auth.token_url", "auth.scopes"}

func detailsOf(d *connector.Definition) detailsForm {
	a := d.Auth
	return detailsForm{
		Name: d.Name, Description: d.Description, BaseURL: d.BaseURL, DocumentationURL: d.DocumentationURL,
		AuthType: a.Type, Location: a.Location, Key: a.Key, Prefix: a.Prefix,
		Grant: a.Grant, AuthorizeURL: a.AuthorizeURL, TokenURL: a.TokenURL, Scopes: strings.Join(a.Scopes, " "),
	}
}

// applyDetails returns a copy of base with step 1's fields taken from the
// form. Everything the form does not show (actions, headers, environments,
// OAuth extras while the method stays OAuth 2.0) is kept as it was, which
// is what makes form and JSON round-trip exactly.
func applyDetails(r *http.Request, base *connector.Definition) *connector.Definition {
	d := *base
	d.Actions = slices.Clone(base.Actions)
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	d.Name, d.Description, d.BaseURL, d.DocumentationURL = f("name"), prose(r, "description"), f("baseUrl"), f("documentationUrl")
	kind := f("auth.type")
	a := connector.Auth{Type: kind}
	switch kind {
	case connector.AuthAPIKey:
		a.Location, a.Key, a.Prefix = f("auth.location"), f("auth.key"), r.PostFormValue("auth.prefix")
	case connector.AuthOAuth2:
		if base.Auth.Type == connector.AuthOAuth2 {
			a = base.Auth
			a.ExtraParams = maps.Clone(base.Auth.ExtraParams)
		}
		a.Type, a.Grant, a.AuthorizeURL, a.TokenURL = kind, f("auth.grant"), f("auth.authorize_url"), f("auth.token_url")
		a.Scopes = strings.FieldsFunc(f("auth.scopes"), func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\t' })
		if a.Grant != connector.GrantAuthorizationCode {
			a.AuthorizeURL = ""
		}
	}
	if kind == base.Auth.Type && kind != connector.AuthOAuth2 {
		a.RevokeURL, a.PKCE, a.TokenAuth, a.ExtraParams = base.Auth.RevokeURL, base.Auth.PKCE, base.Auth.TokenAuth, base.Auth.ExtraParams
	}
	d.Auth = a
	return &d
}

// authTypes are offered in this order, with their labels.
var authTypes = []struct{ Value, Label string }{
	{connector.AuthAPIKey, "API key"},
	{connector.AuthBearer, "Bearer token"},
	{connector.AuthBasic, "Basic (username and password)"},
	{connector.AuthOAuth2, "OAuth 2.0"},
	{connector.AuthNone, "None"},
}
