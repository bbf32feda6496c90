package connectedapp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// Token prefixes, which tell an access token from an agent key at /mcp.
const (
	AccessPrefix  = "pbt_"
	RefreshPrefix = "pbr_"
)

// Tokens are what the token endpoint answers.
type Tokens struct {
	Access    string
	Refresh   string // "" when the person did not let the app stay connected
	ExpiresIn time.Duration
	Scope     string
}

// Exchange trades an authorization code for tokens (RFC 6749 section
// 4.1.3, with PKCE). A code works once: a second exchange revokes the
// tokens the first gave, since one of the two came from a thief.
func (s *Service) Exchange(ctx context.Context, client store.AppClient, code, verifier, redirectURI string, resources []string) (Tokens, error) {
	out, err := s.grantTx(ctx, func(tx *store.Tx) (Tokens, *Error, error) {
		c, err := tx.UseAppCode(ctx, vault.HashToken(code), s.now())
		switch {
		case errors.Is(err, store.ErrNotFound):
			return Tokens{}, oauthError(InvalidGrant, "unknown authorization code; start the sign-in again"), nil
		case errors.Is(err, store.ErrUsed):
			refusal := oauthError(InvalidGrant, "this authorization code was already used; the tokens it gave are revoked; start the sign-in again")
			if c.FamilyID == "" {
				return Tokens{}, refusal, nil
			}
			return Tokens{}, refusal, s.revokeFamily(ctx, tx, c.OrgID, c.AgentID, c.UserID, c.FamilyID, "authorization code used twice")
		case err != nil:
			return Tokens{}, nil, err
		}
		// The code is spent from here on, whatever follows.
		if refusal := s.checkCode(client, c, verifier, redirectURI, resources); refusal != nil {
			return Tokens{}, refusal, nil
		}
		if !s.appActive(ctx, c.OrgID, c.AgentID) {
			return Tokens{}, oauthError(InvalidGrant, "the app was disconnected before the code was exchanged; connect it again"), nil
		}
		f, err := tx.CreateAppFamily(ctx, store.AppFamily{
			OrgID: c.OrgID, AgentID: c.AgentID, ClientID: c.ClientID, UserID: c.UserID, Resource: c.Resource, Scope: c.Scope,
		})
		if err != nil {
			return Tokens{}, nil, err
		}
		if err := tx.SetAppCodeFamily(ctx, c.Hash, f.ID); err != nil {
			return Tokens{}, nil, err
		}
		out, err := s.issue(ctx, tx, client, f)
		return out, nil, err
	})
	if err == nil {
		s.purge(ctx)
	}
	return out, err
}

// grantTx runs fn in a transaction that commits also when fn refuses the
// grant, so that what it spent or revoked on the way stays so; the
// refusal is returned after the commit.
func (s *Service) grantTx(ctx context.Context, fn func(tx *store.Tx) (Tokens, *Error, error)) (Tokens, error) {
	var out Tokens
	var refusal *Error
	err := s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, refusal, err = fn(tx)
		return err
	})
	if err != nil {
		return Tokens{}, err
	}
	if refusal != nil {
		return Tokens{}, refusal
	}
	return out, nil
}

// appActive reports whether a connected app is still connected.
func (s *Service) appActive(ctx context.Context, orgID, agentID string) bool {
	app, err := s.cfg.Store.GetAgent(ctx, orgID, agentID)
	return err == nil && app.RevokedAt.IsZero()
}

// checkCode holds a claimed code against the exchange that presents it.
func (s *Service) checkCode(client store.AppClient, c store.AppCode, verifier, redirectURI string, resources []string) *Error {
	switch {
	case c.ClientID != client.ID:
		return oauthError(InvalidGrant, "the authorization code was issued to another client")
	case !s.now().Before(c.ExpiresAt):
		return oauthError(InvalidGrant, "the authorization code has expired (it lasts a minute); start the sign-in again")
	case redirectURI != c.RedirectURI:
		return oauthError(InvalidGrant, "redirect_uri differs from the one the authorization request used")
	case len(verifier) < 43 || len(verifier) > 128:
		return oauthError(InvalidGrant, "code_verifier must be 43 to 128 characters (RFC 7636)")
	case !oidc.VerifyCodeChallenge(&oidc.CodeChallenge{Challenge: c.CodeChallenge, Method: oidc.CodeChallengeMethodS256}, verifier):
		return oauthError(InvalidGrant, "code_verifier does not match the code_challenge of the authorization request")
	}
	return s.sameResource(resources, c.Resource)
}

// sameResource checks that resource indicators sent at the token endpoint
// name the resource the grant was made for.
func (s *Service) sameResource(resources []string, granted string) *Error {
	if len(resources) == 0 {
		return nil
	}
	r, err := s.resource(resources)
	if err != nil {
		return err
	}
	if r != granted {
		return oauthError(InvalidTarget, fmt.Sprintf("the grant is for %s, not %s", granted, resources[0]))
	}
	return nil
}

// Refresh rotates a refresh token: it gives a new access token and a new
// refresh token, and the one presented stops working. Presenting a refresh
// token that was already rotated means it was copied: every token of its
// family is revoked, and the person must sign the app in again.
func (s *Service) Refresh(ctx context.Context, client store.AppClient, refresh string, scopes, resources []string) (Tokens, error) {
	return s.grantTx(ctx, func(tx *store.Tx) (Tokens, *Error, error) {
		tok, f, err := tx.AppTokenByHash(ctx, vault.HashToken(refresh))
		if errors.Is(err, store.ErrNotFound) || err == nil && tok.Kind != store.TokenRefresh {
			return Tokens{}, oauthError(InvalidGrant, "unknown refresh token; sign in again"), nil
		}
		if err != nil {
			return Tokens{}, nil, err
		}
		if refusal := s.checkRefresh(client, tok, f, scopes, resources); refusal != nil {
			return Tokens{}, refusal, nil
		}
		if err := tx.UseAppRefresh(ctx, tok.Hash, s.now()); errors.Is(err, store.ErrUsed) {
			refusal := oauthError(InvalidGrant, "this refresh token was already used, so it may have been copied: every token of this sign-in is revoked; sign in again")
			return Tokens{}, refusal, s.revokeFamily(ctx, tx, f.OrgID, f.AgentID, f.UserID, f.ID, "refresh token used twice")
		} else if err != nil {
			return Tokens{}, nil, err
		}
		if !s.appActive(ctx, f.OrgID, f.AgentID) {
			return Tokens{}, oauthError(InvalidGrant, "the app was disconnected; connect it again"), nil
		}
		out, err := s.issue(ctx, tx, client, f)
		return out, nil, err
	})
}

func (s *Service) checkRefresh(client store.AppClient, tok store.AppToken, f store.AppFamily, scopes, resources []string) *Error {
	granted := strings.Fields(f.Scope)
	switch {
	case f.ClientID != client.ID:
		return oauthError(InvalidGrant, "the refresh token was issued to another client")
	case !f.RevokedAt.IsZero():
		return oauthError(InvalidGrant, "the sign-in this refresh token belongs to was revoked ("+f.RevokedReason+"); sign in again")
	case !tok.UsedAt.IsZero():
		return nil // reuse: UseAppRefresh finds it and revokes the family
	case !s.now().Before(tok.ExpiresAt):
		return oauthError(InvalidGrant, "the refresh token has expired; sign in again")
	}
	for _, sc := range scopes {
		if !slices.Contains(granted, sc) {
			return oauthError(InvalidScope, fmt.Sprintf("scope %q was not granted; the grant is %q", sc, f.Scope))
		}
	}
	return s.sameResource(resources, f.Resource)
}

// issue adds an access token, and a refresh token when the grant keeps the
// app connected, to a family.
func (s *Service) issue(ctx context.Context, tx *store.Tx, client store.AppClient, f store.AppFamily) (Tokens, error) {
	out := Tokens{Access: vault.NewToken(AccessPrefix, 32), ExpiresIn: s.cfg.AccessTTL, Scope: f.Scope}
	if err := tx.AddAppToken(ctx, store.AppToken{Hash: vault.HashToken(out.Access), FamilyID: f.ID, Kind: store.TokenAccess, ExpiresAt: s.now().Add(s.cfg.AccessTTL)}); err != nil {
		return Tokens{}, err
	}
	if slices.Contains(strings.Fields(f.Scope), ScopeOffline) && slices.Contains(client.GrantTypes, GrantRefresh) {
		out.Refresh = vault.NewToken(RefreshPrefix, 32)
		if err := tx.AddAppToken(ctx, store.AppToken{Hash: vault.HashToken(out.Refresh), FamilyID: f.ID, Kind: store.TokenRefresh, ExpiresAt: s.now().Add(s.cfg.RefreshTTL)}); err != nil {
			return Tokens{}, err
		}
	}
	return out, nil
}

// revokeFamily revokes a family after a replayed secret, audited as the
// app acting for its person so the trail names both.
func (s *Service) revokeFamily(ctx context.Context, tx *store.Tx, orgID, agentID, userID, familyID, reason string) error {
	if err := tx.RevokeAppFamily(ctx, familyID, reason, s.now()); err != nil {
		return err
	}
	s.cfg.Logger.WarnContext(ctx, "connected app's tokens revoked", "agent", agentID, "family", familyID, "reason", reason)
	org, err := s.cfg.Store.GetOrg(ctx, orgID)
	if err != nil {
		return err
	}
	p := access.ForAgent(store.Agent{ID: agentID}, org, store.User{ID: userID})
	_, err = tx.AppendAudit(ctx, p.Audit(ActionTokenReuse, "agent", agentID, map[string]any{"reason": reason, "family": familyID}))
	return err
}

// RevokeToken revokes a token at its client's request (RFC 7009): a
// refresh token with every token of its family, an access token alone.
// Unknown tokens are not an error, so the answer tells nothing.
func (s *Service) RevokeToken(ctx context.Context, client store.AppClient, token string) error {
	return s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		tok, f, err := tx.AppTokenByHash(ctx, vault.HashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if f.ClientID != client.ID {
			return oauthError(UnauthorizedClient, "the token was issued to another client")
		}
		if tok.Kind == store.TokenRefresh {
			return tx.RevokeAppFamily(ctx, f.ID, "revoked by the app", s.now())
		}
		return tx.RevokeAppToken(ctx, tok.Hash, s.now())
	})
}

// purge drops expired codes and tokens a day after they expire; it runs
// after code exchanges, often enough to keep the tables small.
func (s *Service) purge(ctx context.Context) {
	if n, err := s.cfg.Store.PurgeApp(ctx, s.now().Add(-24*time.Hour)); err != nil {
		s.cfg.Logger.WarnContext(ctx, "purge expired app tokens", "error", err)
	} else if n > 0 {
		s.cfg.Logger.DebugContext(ctx, "purged expired app tokens", "rows", n)
	}
}
