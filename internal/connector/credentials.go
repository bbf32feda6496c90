package connector

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Credentials are a connection's secrets for one environment. Which fields
// matter depends on the definition's auth kind; see [Auth.CheckCredentials].
// They are stored encrypted and never leave the server: String, GoString
// and LogValue show only which fields are set.
type Credentials struct {
	APIKey       string    `json:"api_key,omitempty"`
	Token        string    `json:"token,omitempty"`
	Username     string    `json:"username,omitempty"`
	Password     string    `json:"password,omitempty"`
	ClientID     string    `json:"client_id,omitempty"`
	ClientSecret string    `json:"client_secret,omitempty"`
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// UsesPKCE reports whether the authorization code flow uses PKCE, which
// it does unless the definition turns it off for a provider that rejects it.
func (a Auth) UsesPKCE() bool {
	return a.PKCE == nil || *a.PKCE
}

// CheckCredentials says which credential fields this auth kind still
// needs, in a message fit to show the person connecting.
func (a Auth) CheckCredentials(c Credentials) error {
	switch normalizeAuthType(a.Type) {
	case AuthNone:
		return nil
	case AuthAPIKey:
		if c.APIKey == "" {
			return fmt.Errorf(`api_key auth needs "api_key"`)
		}
	case AuthBasic:
		if c.Username == "" {
			return fmt.Errorf(`basic auth needs "username" (and usually "password")`)
		}
	case AuthBearer:
		if c.Token == "" {
			return fmt.Errorf(`bearer auth needs "token"`)
		}
	case AuthOAuth2:
		if c.AccessToken != "" {
			return nil
		}
		var missing []string
		if c.ClientID == "" {
			missing = append(missing, `"client_id"`)
		}
		secretNeeded := normalizeGrant(a.Grant) == GrantClientCredentials || !a.UsesPKCE()
		if c.ClientSecret == "" && secretNeeded {
			missing = append(missing, `"client_secret"`)
		}
		if len(missing) > 0 {
			return fmt.Errorf("oauth2 auth needs %s from the provider's app settings", strings.Join(missing, " and "))
		}
	default:
		return fmt.Errorf("unknown auth type %q", a.Type)
	}
	return nil
}

// Apply authenticates req with c: an API key in its header (after the
// optional prefix) or query parameter, HTTP Basic, a bearer token, or an
// OAuth 2.0 access token under its token type. For OAuth 2.0 without an
// access token it returns [ErrNoAccessToken]; refreshing is the caller's
// job, done before Apply.
func (a Auth) Apply(req *http.Request, c Credentials) error {
	kind := normalizeAuthType(a.Type)
	if kind == AuthOAuth2 {
		if c.AccessToken == "" {
			return ErrNoAccessToken
		}
		req.Header.Set("Authorization", tokenType(c.TokenType)+" "+c.AccessToken)
		return nil
	}
	if err := a.CheckCredentials(c); err != nil {
		return err
	}
	switch kind {
	case AuthAPIKey:
		if strings.EqualFold(a.Location, InQuery) {
			q := req.URL.Query()
			q.Set(a.Key, c.APIKey)
			req.URL.RawQuery = q.Encode()
			return nil
		}
		req.Header.Set(a.Key, a.Prefix+c.APIKey)
	case AuthBasic:
		req.SetBasicAuth(c.Username, c.Password)
	case AuthBearer:
		prefix := a.Prefix
		if prefix == "" {
			prefix = "Bearer "
		}
		req.Header.Set("Authorization", prefix+c.Token)
	}
	return nil
}

// tokenType writes the OAuth 2.0 token type as the Authorization scheme.
// Providers answer "bearer" in any case; servers expect "Bearer".
func tokenType(t string) string {
	if t == "" || strings.EqualFold(t, "bearer") {
		return "Bearer"
	}
	return t
}

// Secrets lists every non-empty secret value, plus the Basic credentials
// as they appear base64-encoded in a header, for log redaction.
func (c Credentials) Secrets() []string {
	var out []string
	for _, s := range []string{c.APIKey, c.Token, c.Password, c.ClientSecret, c.AccessToken, c.RefreshToken} {
		if s != "" {
			out = append(out, s)
		}
	}
	if c.Password != "" {
		out = append(out, base64.StdEncoding.EncodeToString([]byte(c.Username+":"+c.Password)))
	}
	return out
}

// setFields names the fields that hold a value, never the values.
func (c Credentials) setFields() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"api_key", c.APIKey != ""}, {"token", c.Token != ""},
		{"username", c.Username != ""}, {"password", c.Password != ""},
		{"client_id", c.ClientID != ""}, {"client_secret", c.ClientSecret != ""},
		{"access_token", c.AccessToken != ""}, {"refresh_token", c.RefreshToken != ""},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// String shows which fields are set, so printing credentials by mistake
// leaks nothing.
func (c Credentials) String() string {
	return "Credentials{" + strings.Join(c.setFields(), ", ") + "}"
}

// GoString is String, for %#v.
func (c Credentials) GoString() string { return c.String() }

// LogValue logs which fields are set, never their values.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("set", strings.Join(c.setFields(), ",")))
}
