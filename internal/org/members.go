package org

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/account"
	"github.com/plugboard/plugboard/internal/naming"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// Invitation is a member to add.
type Invitation struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
	// WithKey also makes the member's first API key (for automation);
	// the dashboard only hands out the sign-in link.
	WithKey bool `json:"-"`
}

// Invited is the member added, with what to hand them: the single-use link
// with which they set a password, and the API key when one was asked for.
// Both are shown once.
type Invited struct {
	User        store.User `json:"user"`
	Key         string     `json:"key,omitempty"`
	SigninURL   string     `json:"signin_url"`
	LinkExpires time.Time  `json:"signin_url_expires_at"`
}

// NewAPIKey makes a key to show once, its prefix and its hash.
func NewAPIKey() (key, prefix, hash string) {
	key = vault.NewToken("pb_", 24)
	return key, key[:10], vault.HashToken(key)
}

// Invite adds a member with a role no higher than the inviter's own.
func (s *Service) Invite(ctx context.Context, p access.Principal, in Invitation) (*Invited, error) {
	if err := p.May(access.ManageOrg); err != nil {
		return nil, err
	}
	var errs []problem.FieldError
	var err error
	if in.Email, err = naming.Email(in.Email); err != nil {
		errs = append(errs, problem.FieldError{Field: "email", Message: err.Error() + "; the address the member will sign in with"})
	}
	if in.Name, err = naming.Optional(naming.Name)(in.Name); err != nil {
		errs = append(errs, problem.FieldError{Field: "name", Message: err.Error()})
	}
	switch {
	case access.Rank(in.Role) == 0:
		errs = append(errs, problem.FieldError{Field: "role", Message: "must be owner, admin, developer or viewer"})
	case !p.Outranks(in.Role):
		errs = append(errs, problem.FieldError{Field: "role", Message: "you cannot grant a role above your own"})
	}
	if len(errs) > 0 {
		return nil, problem.Invalid("the member is not valid", errs)
	}
	out := &Invited{}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		u, err := tx.CreateUser(ctx, store.User{OrgID: p.Org.ID, Email: in.Email, Name: in.Name, Role: in.Role})
		if err != nil {
			return err
		}
		out.User = u
		if in.WithKey {
			key, prefix, hash := NewAPIKey()
			if _, err := tx.CreateAPIKey(ctx, u, "default", prefix, hash); err != nil {
				return err
			}
			out.Key = key
		}
		if out.SigninURL, out.LinkExpires, err = s.Accounts.NewLink(ctx, tx, u, store.LinkInvite, p.User.ID, account.InviteLinkTTL); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionInvite, "user", u.ID, map[string]any{"email": u.Email, "role": u.Role}))
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, problem.Invalid("the member is not valid", []problem.FieldError{{Field: "email", Message: "this address already belongs to a member"}})
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Keys lists p's own API keys (never their hashes).
func (s *Service) Keys(ctx context.Context, p access.Principal) ([]store.APIKey, error) {
	if p.User.ID == "" {
		return nil, problem.Forbidden("only members have API keys")
	}
	return s.Store.ListAPIKeys(ctx, p.Org.ID, p.User.ID)
}

// CreateKey gives p another API key, shown once.
func (s *Service) CreateKey(ctx context.Context, p access.Principal, name string) (store.APIKey, string, error) {
	if p.User.ID == "" {
		return store.APIKey{}, "", problem.Forbidden("only members have API keys")
	}
	if strings.TrimSpace(name) == "" {
		return store.APIKey{}, "", problem.Invalid("name is required", []problem.FieldError{{Field: "name", Message: "give the key a name, e.g. \"ci\""}})
	}
	name, err := naming.Field("name", naming.Name, name)
	if err != nil {
		return store.APIKey{}, "", err
	}
	key, prefix, hash := NewAPIKey()
	var k store.APIKey
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if k, err = tx.CreateAPIKey(ctx, p.User, name, prefix, hash); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionKeyCreate, "key", k.ID, map[string]any{"name": k.Name}))
		return err
	})
	return k, key, err
}

// RevokeKey revokes one of p's own keys; it stops working at once.
func (s *Service) RevokeKey(ctx context.Context, p access.Principal, id string) error {
	if p.User.ID == "" {
		return problem.Forbidden("only members have API keys")
	}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.RevokeAPIKey(ctx, p.Org.ID, p.User.ID, id); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionKeyRevoke, "key", id, nil))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return access.NotFound("API key", id)
	}
	return err
}

// SigninLink is a new single-use link for a member who has not set a
// password yet: the first owner who lost or let expire the link the server
// printed, or an invited member whose invitation link is gone. Earlier
// links keep working until they expire or one is used.
type SigninLink struct {
	User      store.User `json:"user"`
	SigninURL string     `json:"signin_url"`
	Expires   time.Time  `json:"signin_url_expires_at"`
}

// NewSigninLink makes a sign-in link for the member userID (p itself when
// empty). Owners and admins may, for members they outrank or equal; a
// member who has a password signs in with it instead.
func (s *Service) NewSigninLink(ctx context.Context, p access.Principal, userID string) (*SigninLink, error) {
	if err := p.May(access.ManageOrg); err != nil {
		return nil, err
	}
	if userID == "" {
		userID = p.User.ID
	}
	sp, err := s.Store.PrincipalByUserID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sp.Org.ID != p.Org.ID) {
		return nil, problem.NotFound("no member %q in this organization", userID)
	}
	if err != nil {
		return nil, err
	}
	u := sp.User
	if !p.Outranks(u.Role) {
		return nil, problem.Forbidden("only a member with the role %s or above may give %s a sign-in link", u.Role, u.Email)
	}
	if u.PasswordHash != "" {
		return nil, problem.Conflict("%s has set a password; they sign in with it on the dashboard's sign-in page", u.Email)
	}
	purpose, ttl := store.LinkInvite, account.InviteLinkTTL
	if u.Email == account.FirstOwnerEmail {
		purpose, ttl = store.LinkFirstSignIn, account.FirstSignInLinkTTL
	}
	out := &SigninLink{User: u}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if out.SigninURL, out.Expires, err = s.Accounts.NewLink(ctx, tx, u, purpose, p.User.ID, ttl); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionSigninLink, "user", u.ID, map[string]any{"email": u.Email}))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
