package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// How long sign-in links stay valid.
const (
	FirstSignInLinkTTL = 24 * time.Hour
	InviteLinkTTL      = 7 * 24 * time.Hour
)

// FirstSignInLink makes the single-use link with which the owner of the
// first organization, identified by email, sets a password. The server
// prints it once at first start.
func (wb *Web) FirstSignInLink(ctx context.Context, ownerEmail string) (link string, expires time.Time, err error) {
	p, err := wb.Store.PrincipalByEmail(ctx, ownerEmail)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("first sign-in link: find the owner: %w", err)
	}
	return wb.newSigninLink(ctx, p.User, store.LinkFirstSignIn, "", FirstSignInLinkTTL)
}

func (wb *Web) newSigninLink(ctx context.Context, u store.User, purpose, by string, ttl time.Duration) (string, time.Time, error) {
	token := vault.NewToken("pbs_", 32)
	expires := wb.Now().Add(ttl)
	if _, err := wb.Store.CreateSigninLink(ctx, store.SigninLink{
		TokenHash: vault.HashToken(token), UserID: u.ID, OrgID: u.OrgID, Purpose: purpose, CreatedBy: by, ExpiresAt: expires,
	}); err != nil {
		return "", time.Time{}, err
	}
	path := "/signin/first"
	if purpose == store.LinkInvite {
		path = "/signin/invite"
	}
	return wb.PublicURL + path + "?" + url.Values{"token": {token}}.Encode(), expires, nil
}

var errLinkUsed = problem.New(http.StatusGone, "this sign-in link has been used or has expired; ask an owner or admin of your organization for a new one")

func (wb *Web) setPasswordForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	token := r.URL.Query().Get("token")
	link, p, err := wb.Store.SigninLinkByTokenHash(r.Context(), vault.HashToken(token), wb.Now())
	if errors.Is(err, store.ErrNotFound) || token == "" {
		return errLinkUsed
	}
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "set_password", view{Title: "Set your password", Data: setPasswordData(link, p, token, p.User.Email, p.User.Name)})
	return nil
}

func setPasswordData(link store.SigninLink, p store.Principal, token, email, name string) map[string]any {
	return map[string]any{"Token": token, "First": link.Purpose == store.LinkFirstSignIn, "Email": email, "Name": name, "OrgName": p.Org.Name, "Min": MinPasswordLength}
}

func (wb *Web) setPassword(w http.ResponseWriter, r *http.Request, v *visit) error {
	token := r.PostFormValue("token")
	link, p, err := wb.Store.SigninLinkByTokenHash(r.Context(), vault.HashToken(token), wb.Now())
	if errors.Is(err, store.ErrNotFound) || token == "" {
		return errLinkUsed
	}
	if err != nil {
		return err
	}
	email, name := p.User.Email, strings.TrimSpace(r.PostFormValue("name"))
	errs := map[string]string{}
	if link.Purpose == store.LinkFirstSignIn {
		// The owner made at first start has a placeholder address.
		email = strings.TrimSpace(r.PostFormValue("email"))
		if !strings.Contains(email, "@") || len(email) > 254 {
			errs["email"] = "enter the email address you will sign in with"
		}
	}
	pw := r.PostFormValue("password")
	if msg := passwordProblem(pw, r.PostFormValue("confirm")); msg != "" {
		errs["password"] = msg
	}
	if len(errs) == 0 {
		p, err = wb.Store.RedeemSigninLink(r.Context(), vault.HashToken(token), wb.Now(), store.PasswordChange{Email: email, Name: name, PasswordHash: hashPassword(pw)})
		switch {
		case errors.Is(err, store.ErrConflict):
			errs["email"] = "another member already uses this address"
		case errors.Is(err, store.ErrNotFound):
			return errLinkUsed
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		wb.render(w, r, v, http.StatusUnprocessableEntity, "set_password", view{Title: "Set your password", Errors: errs, Data: setPasswordData(link, p, token, email, name)})
		return nil
	}
	if err := wb.startSession(w, r, p); err != nil {
		return err
	}
	wb.Logger.InfoContext(r.Context(), "dashboard password set from a sign-in link", "user_id", p.User.ID, "purpose", link.Purpose)
	wb.redirect(w, r, "/", "Your password is set. Welcome to "+brandFor(p.Org).Name+".")
	return nil
}
