package connector

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		auth   Auth
		creds  Credentials
		header map[string]string
		query  string
	}{
		{"api key in header", Auth{Type: AuthAPIKey, Location: InHeader, Key: "X-API-Key"}, Credentials{APIKey: "k1"},
			map[string]string{"X-Api-Key": "k1"}, "page=2"},
		{"api key in header with prefix", Auth{Type: AuthAPIKey, Location: InHeader, Key: "Authorization", Prefix: "Token "}, Credentials{APIKey: "k1"},
			map[string]string{"Authorization": "Token k1"}, "page=2"},
		{"api key in query", Auth{Type: AuthAPIKey, Location: InQuery, Key: "api_token"}, Credentials{APIKey: "k 1"},
			map[string]string{"Authorization": ""}, "api_token=k+1&page=2"},
		{"basic", Auth{Type: AuthBasic}, Credentials{Username: "ann", Password: "pw"},
			map[string]string{"Authorization": "Basic YW5uOnB3"}, "page=2"},
		{"bearer", Auth{Type: AuthBearer}, Credentials{Token: "jwt.x.y"},
			map[string]string{"Authorization": "Bearer jwt.x.y"}, "page=2"},
		{"oauth2 lower-case bearer", Auth{Type: AuthOAuth2}, Credentials{AccessToken: "at", TokenType: "bearer"},
			map[string]string{"Authorization": "Bearer at"}, "page=2"},
		{"oauth2 other token type", Auth{Type: AuthOAuth2}, Credentials{AccessToken: "at", TokenType: "DPoP"},
			map[string]string{"Authorization": "DPoP at"}, "page=2"},
		{"oauth2 no token type", Auth{Type: AuthOAuth2}, Credentials{AccessToken: "at"},
			map[string]string{"Authorization": "Bearer at"}, "page=2"},
		{"none", Auth{Type: AuthNone}, Credentials{},
			map[string]string{"Authorization": ""}, "page=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest("GET", "https://a.test/x?page=2", nil)
			if err := tt.auth.Apply(req, tt.creds); err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				if got := req.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if req.URL.RawQuery != tt.query {
				t.Errorf("query = %q, want %q", req.URL.RawQuery, tt.query)
			}
		})
	}
}

func TestApplyWithoutCredentials(t *testing.T) {
	t.Parallel()
	req, _ := http.NewRequest("GET", "https://a.test/", nil)
	if err := (Auth{Type: AuthOAuth2}).Apply(req, Credentials{ClientID: "c"}); !errors.Is(err, ErrNoAccessToken) {
		t.Errorf("oauth2 without token: %v, want ErrNoAccessToken", err)
	}
	if err := (Auth{Type: AuthBearer}).Apply(req, Credentials{}); err == nil || req.Header.Get("Authorization") != "" {
		t.Errorf("bearer without token: err %v, header %q", err, req.Header.Get("Authorization"))
	}
}

func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	no := false
	tests := []struct {
		name  string
		auth  Auth
		creds Credentials
		want  string // "" means accepted
	}{
		{"none", Auth{Type: AuthNone}, Credentials{}, ""},
		{"api key missing", Auth{Type: AuthAPIKey}, Credentials{Token: "t"}, `api_key auth needs "api_key"`},
		{"api key", Auth{Type: AuthAPIKey}, Credentials{APIKey: "k"}, ""},
		{"basic missing", Auth{Type: AuthBasic}, Credentials{Password: "p"}, `basic auth needs "username"`},
		{"basic with empty password", Auth{Type: AuthBasic}, Credentials{Username: "sk_test"}, ""},
		{"bearer missing", Auth{Type: AuthBearer}, Credentials{APIKey: "k"}, `bearer auth needs "token"`},
		{"client credentials missing both", Auth{Type: AuthOAuth2, Grant: GrantClientCredentials}, Credentials{},
			`oauth2 auth needs "client_id" and "client_secret"`},
		{"client credentials", Auth{Type: AuthOAuth2, Grant: GrantClientCredentials}, Credentials{ClientID: "c", ClientSecret: "s"}, ""},
		{"authorization code with PKCE needs no secret", Auth{Type: AuthOAuth2, Grant: GrantAuthorizationCode}, Credentials{ClientID: "c"}, ""},
		{"authorization code without PKCE", Auth{Type: AuthOAuth2, Grant: GrantAuthorizationCode, PKCE: &no}, Credentials{ClientID: "c"},
			`oauth2 auth needs "client_secret"`},
		{"oauth2 with a pasted access token", Auth{Type: AuthOAuth2, Grant: GrantClientCredentials}, Credentials{AccessToken: "a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.auth.CheckCredentials(tt.creds)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	t.Parallel()
	c := Credentials{APIKey: "s-api", Username: "ann", Password: "s-pw", ClientID: "cid", ClientSecret: "s-cs",
		AccessToken: "s-at", RefreshToken: "s-rt", Token: "s-tok"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("connect", "creds", c)
	out := fmt.Sprintf("%v %+v %#v %s", c, c, c, c) + logged.String()
	for _, s := range c.Secrets() {
		if strings.Contains(out, s) {
			t.Errorf("secret %q printed in %s", s, out)
		}
	}
	want := []string{"s-api", "s-tok", "s-pw", "s-cs", "s-at", "s-rt", "YW5uOnMtcHc="}
	if got := c.Secrets(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Secrets() = %v, want %v", got, want)
	}
	if got := (Credentials{ClientID: "cid"}).Secrets(); len(got) != 0 {
		t.Errorf("Secrets() of a client id alone = %v", got)
	}
}
