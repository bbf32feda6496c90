package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/account"
	"github.com/plugboard/plugboard/internal/problem"
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
	sess, err := wb.Accounts.SignIn(r.Context(), email, r.PostFormValue("password"), wb.client(r))
	if errors.Is(err, account.ErrSignIn) {
		wb.render(w, r, v, http.StatusUnauthorized, "signin", view{
			Title: "Sign in", Problem: "That email and password do not match a member. Check both, or ask an owner or admin for a new sign-in link.",
			Data: map[string]any{"Next": next, "Email": email},
		})
		return nil
	}
	if p, ok := problem.As(err); ok && p.Status == http.StatusTooManyRequests {
		// The form stays, with when it will be accepted again.
		setRetryAfter(w, p)
		wb.render(w, r, v, http.StatusTooManyRequests, "signin", view{
			Title: "Sign in", Problem: "Sign-in is paused: " + p.Detail + ", at " + retryAt(p) + ".",
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

// safeNext keeps a post-sign-in redirect on this site: a path, or "/" for
// anything a browser could resolve to another origin.
func safeNext(next string) string {
	if !sameSitePath(next) {
		return "/"
	}
	return next
}

// sameSitePath reports whether p is a path on this site however a browser
// reads it. Browsers drop tabs and newlines anywhere in a URL and treat a
// backslash as a slash, so "/\t/evil.example" and "/\\evil.example" both
// become "//evil.example", another host. The same characters percent-encoded
// (once or more) are refused too, lest a later decoding step revive them.
func sameSitePath(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for decoded, rounds := p, 0; ; rounds++ {
		if strings.HasPrefix(decoded, "//") || strings.ContainsFunc(decoded, unsafeInPath) {
			return false
		}
		next, err := url.PathUnescape(decoded)
		if err != nil || rounds == 3 && next != decoded {
			return false // malformed, or encoded deeper than any honest link
		}
		if next == decoded {
			break
		}
		decoded = next
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == ""
}

// unsafeInPath is a backslash or a control character (tab, CR and LF
// among them).
func unsafeInPath(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }
