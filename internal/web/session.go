package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// visit is one request's visitor: signed in (with a session) or not.
type visit struct {
	p       store.Principal
	sess    store.Session
	csrf    string // the token forms must send back
	expired bool   // a session cookie was sent but the session has ended
}

func (v *visit) signedIn() bool { return v.sess.ID != "" }

// may is the API's authorization decision for the signed-in member.
func (v *visit) may(perm string) error { return api.Authorize(v.p, perm) }

// pageFunc handles a page; a returned error is shown as an error page.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *visit) error

// touchEvery bounds how often a session's last activity is written: the
// idle timeout does not need millisecond precision, and a write per page
// view would be wasted work.
const touchEvery = time.Minute

func (wb *Web) sessionCookie() string {
	// The __Host- prefix makes browsers refuse the cookie unless it is
	// Secure, host-only and for the whole site, so a sibling subdomain
	// cannot plant one.
	if wb.secure {
		return "__Host-pb_session"
	}
	return "pb_session"
}

func (wb *Web) csrfCookie() string {
	if wb.secure {
		return "__Host-pb_csrf"
	}
	return "pb_csrf"
}

// load resolves the session cookie, ending sessions past their lifetime
// or idle timeout.
func (wb *Web) load(w http.ResponseWriter, r *http.Request) (*visit, error) {
	v := &visit{}
	c, err := r.Cookie(wb.sessionCookie())
	if err != nil || c.Value == "" {
		return v, nil
	}
	sess, p, err := wb.Store.SessionByTokenHash(r.Context(), vault.HashToken(c.Value))
	if errors.Is(err, store.ErrNotFound) {
		wb.clearCookie(w, wb.sessionCookie())
		v.expired = true
		return v, nil
	}
	if err != nil {
		return v, err
	}
	now := wb.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > wb.SessionIdle {
		if err := wb.Store.DeleteSession(r.Context(), sess.ID); err != nil {
			return v, err
		}
		wb.clearCookie(w, wb.sessionCookie())
		v.expired = true
		return v, nil
	}
	if now.Sub(sess.LastSeenAt) > touchEvery {
		if err := wb.Store.TouchSession(r.Context(), sess.ID, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			return v, err
		}
	}
	v.p, v.sess, v.csrf = p, sess, sess.CSRFToken
	return v, nil
}

// member wraps a page that needs a signed-in member. Visitors without a
// session are sent to the sign-in page and come back afterwards.
func (wb *Web) member(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := wb.load(w, r)
		if err != nil {
			wb.errorPage(w, r, v, err)
			return
		}
		if !v.signedIn() {
			q := url.Values{"next": {r.URL.RequestURI()}}
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				q.Set("next", r.URL.Path)
			}
			if v.expired {
				q.Set("expired", "1")
			}
			http.Redirect(w, r, "/signin?"+q.Encode(), http.StatusSeeOther)
			return
		}
		if !wb.checkCSRF(w, r, v) {
			return
		}
		if err := fn(w, r, v); err != nil {
			wb.errorPage(w, r, v, err)
		}
	})
}

// public wraps a page for visitors who are not signed in (sign-in, set a
// password). Their forms are protected by a token in a cookie that the
// form must repeat, which a page on another site can neither read nor set.
func (wb *Web) public(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := wb.load(w, r)
		if err != nil {
			wb.errorPage(w, r, v, err)
			return
		}
		if !v.signedIn() {
			if c, err := r.Cookie(wb.csrfCookie()); err == nil && len(c.Value) >= 20 {
				v.csrf = c.Value
			} else if r.Method == http.MethodGet {
				v.csrf = vault.NewToken("", 24)
				http.SetCookie(w, &http.Cookie{Name: wb.csrfCookie(), Value: v.csrf, Path: "/", HttpOnly: true, Secure: wb.secure, SameSite: http.SameSiteLaxMode})
			}
		}
		if !wb.checkCSRF(w, r, v) {
			return
		}
		if err := fn(w, r, v); err != nil {
			wb.errorPage(w, r, v, err)
		}
	})
}

var crossOrigin = http.NewCrossOriginProtection()

// checkCSRF refuses a state-changing request whose form does not carry the
// visitor's token, or that a browser marks as sent from another origin,
// with a 403 page that says what to do.
func (wb *Web) checkCSRF(w http.ResponseWriter, r *http.Request, v *visit) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	sent := r.Header.Get("X-CSRF-Token")
	if sent == "" {
		if err := parseForm(r); err != nil {
			wb.errorPage(w, r, v, problem.BadRequest("the form could not be read: %v", err))
			return false
		}
		sent = r.PostFormValue("csrf")
	}
	ok := v.csrf != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(v.csrf)) == 1
	if ok && crossOrigin.Check(r) != nil {
		ok = false
	}
	if !ok {
		wb.render(w, r, v, http.StatusForbidden, "error", view{
			Title:   "Form refused",
			Problem: "This form was refused because its security token is missing or out of date, which happens when a page stays open across a sign-in or comes from another site. Go back, reload the page and submit it again.",
			Data:    map[string]any{"Status": http.StatusForbidden},
		})
		return false
	}
	return true
}

// maxFormBytes bounds form posts; OpenAPI uploads are the largest.
const maxFormBytes = 16 << 20

func parseForm(r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); len(ct) >= 19 && ct[:19] == "multipart/form-data" {
		return r.ParseMultipartForm(maxFormBytes)
	}
	return r.ParseForm()
}

func (wb *Web) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Path: "/", HttpOnly: true, Secure: wb.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// startSession signs p in: a fresh token (so a token planted before
// sign-in is useless), its hash stored, the token in the cookie.
func (wb *Web) startSession(w http.ResponseWriter, r *http.Request, p store.Principal) error {
	token := vault.NewToken("", 32)
	now := wb.Now()
	_, err := wb.Store.CreateSession(r.Context(), store.Session{
		TokenHash: vault.HashToken(token), UserID: p.User.ID, OrgID: p.Org.ID,
		CSRFToken: vault.NewToken("", 24), UserAgent: truncate(r.UserAgent(), 200),
		ExpiresAt: now.Add(wb.SessionLifetime),
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: wb.sessionCookie(), Value: token, Path: "/", HttpOnly: true, Secure: wb.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(wb.SessionLifetime.Seconds()),
	})
	wb.clearCookie(w, wb.csrfCookie())
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
