package account

import (
	"context"
	"errors"
	"net/http"

	"github.com/plugboard/plugboard/internal/naming"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// ErrLinkUsed is the answer to a sign-in link that is unknown, used or
// expired.
var ErrLinkUsed = problem.New(http.StatusGone, "this sign-in link has been used or has expired; ask an owner or admin of your organization for a new one")

// Link is a live sign-in link and the member it is for.
type Link struct {
	store.SigninLink
	Member store.Principal
}

// First reports whether the link is the first owner's, who also chooses
// the email address to sign in with.
func (l Link) First() bool { return l.Purpose == store.LinkFirstSignIn }

// Link finds the live link a token names.
func (s *Service) Link(ctx context.Context, token string) (Link, error) {
	if token == "" {
		return Link{}, ErrLinkUsed
	}
	l, sp, err := s.cfg.Store.SigninLinkByTokenHash(ctx, vault.HashToken(token), s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return Link{}, ErrLinkUsed
	}
	if err != nil {
		return Link{}, err
	}
	return Link{SigninLink: l, Member: sp}, nil
}

// PasswordInput is the set-password form. Email is read only from the
// first owner's link (the owner made at first start has a placeholder
// address); Name may stay empty.
type PasswordInput struct {
	Email, Name       string
	Password, Confirm string
}

// SetPassword uses a sign-in link once: it sets the member's password
// (and name, and the first owner's email), ends the member's other
// sessions and signs them in.
func (s *Service) SetPassword(ctx context.Context, token string, in PasswordInput, c Client) (*Session, error) {
	link, err := s.Link(ctx, token)
	if err != nil {
		return nil, err
	}
	var errs []problem.FieldError
	email := ""
	if link.First() {
		if email, err = naming.Email(in.Email); err != nil {
			errs = append(errs, problem.FieldError{Field: "email", Message: err.Error() + "; the address you will sign in with"})
		}
	}
	if in.Name, err = naming.Optional(naming.Name)(in.Name); err != nil {
		errs = append(errs, problem.FieldError{Field: "name", Message: err.Error()})
	}
	if msg := passwordProblem(in.Password, in.Confirm); msg != "" {
		errs = append(errs, problem.FieldError{Field: "password", Message: msg})
	}
	if len(errs) > 0 {
		return nil, problem.Invalid("the password was not set", errs)
	}
	release, err := s.hashSlot(ctx)
	if err != nil {
		return nil, err
	}
	hash := hashPassword(in.Password)
	release()
	var sess *Session
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		_, sp, err := tx.RedeemSigninLink(ctx, vault.HashToken(token), s.cfg.Now(), store.PasswordChange{Email: email, Name: in.Name, PasswordHash: hash})
		if err != nil {
			return err
		}
		if sess, err = s.start(ctx, tx, sp, c); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, sess.Principal.Audit(ActionPasswordSet, "user", sp.User.ID, map[string]any{"link": link.Purpose}))
		return err
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil, problem.Invalid("the password was not set", []problem.FieldError{{Field: "email", Message: "another member already uses this address"}})
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrLinkUsed
	case err != nil:
		return nil, err
	}
	return sess, nil
}
