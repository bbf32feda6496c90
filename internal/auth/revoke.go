package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/store"
)

// Revoke tells the provider to revoke conn's tokens (RFC 7009) when its
// integration declares a revoke_url. It is called before a connection is
// deleted; failures are logged and do not stop the deletion, since the
// secrets are deleted either way.
func (p *Provider) Revoke(ctx context.Context, conn store.Connection) {
	_, a, err := p.definition(ctx, conn)
	if err != nil {
		p.logger.WarnContext(ctx, "token revocation skipped", "connection", conn.ID, "error", err)
		return
	}
	if a.Type != connector.AuthOAuth2 || a.RevokeURL == "" {
		return
	}
	s, err := p.open(conn)
	if err != nil {
		p.logger.WarnContext(ctx, "token revocation skipped", "connection", conn.ID, "error", err)
		return
	}
	// Revoking the refresh token first ends the grant at most providers;
	// the access token is revoked too for those that keep it alive.
	for _, t := range []struct{ token, hint string }{{s.RefreshToken, "refresh_token"}, {s.AccessToken, "access_token"}} {
		if t.token == "" {
			continue
		}
		if err := p.revokeOne(ctx, a, s.Credentials, t.token, t.hint); err != nil {
			p.logger.WarnContext(ctx, "token revocation failed", "connection", conn.ID, "token_type", t.hint, "error", err)
		}
	}
}

func (p *Provider) revokeOne(ctx context.Context, a connector.Auth, c connector.Credentials, token, hint string) error {
	ctx, cancel := context.WithTimeout(ctx, p.oauth.TokenTimeout)
	defer cancel()
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	basic := authStyle(a, c) == oauth2.AuthStyleInHeader
	if !basic {
		form.Set("client_id", c.ClientID)
		if c.ClientSecret != "" {
			form.Set("client_secret", c.ClientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		// RFC 6749 section 2.3.1: both parts are form-encoded first.
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	resp, err := p.oauth.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revocation endpoint answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
