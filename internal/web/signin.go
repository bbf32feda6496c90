package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/account"
)

func (wb *Web) signinForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	if v.signedIn() {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	data := view{Title: "Sign in", Data: map[string]any{"Next": r.URL.Query().Get("next"), "Email": ""}}
	if r.URL.Query().Get("expired") != "" {
		data.Flash = "Your session ended. Sign in again to continue."
	}
	wb.render(w, r, v, http.StatusOK, "signin", data)
	return nil
}

func (wb *Web) signin(w http.ResponseWriter, r *http.Request, v *visit) error {
	email, next := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("next")
	sess, err := wb.Accounts.SignIn(r.Context(), email, r.PostFormValue("password"), client(r))
	if errors.Is(err, account.ErrSignIn) {
		wb.render(w, r, v, http.StatusUnauthorized, "signin", view{
			Title: "Sign in", Problem: "That email and password do not match a member. Check both, or ask an owner or admin for a new sign-in link.",
			Data: map[string]any{"Next": next, "Email": email},
		})
		return nil
	}
	if err != nil {
		return err
	}
	wb.startSession(w, sess)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	return nil
}

func (wb *Web) signout(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := wb.Accounts.SignOut(r.Context(), v.p); err != nil {
		return err
	}
	wb.clearCookie(w, wb.sessionCookie())
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// safeNext keeps a post-sign-in redirect on this site: a path, never
// another origin ("//evil.example" or "/\evil.example" included).
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
