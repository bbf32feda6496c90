package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/account"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/vault"
)

// visit is one request's visitor: signed in (with a session) or not.
type visit struct {
	p       access.Principal
	csrf    string // the token forms must send back
	expired bool   // a session cookie was sent but the session has ended
}

func (v *visit) signedIn() bool { return v.p.SessionID != "" }

// may reports whether the signed-in member may do perm, for pages that
// show or hide a control; the operations decide again when used.
func (v *visit) may(perm access.Permission) bool { return v.p.May(perm) == nil }

// pageFunc handles a page; a returned error is shown as an error page.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *visit) error

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

// load resolves the session cookie; the account service ends sessions
// past their lifetime or idle timeout.
func (wb *Web) load(w http.ResponseWriter, r *http.Request) (*visit, error) {
	v := &visit{}
	c, err := r.Cookie(wb.sessionCookie())
	if err != nil || c.Value == "" {
		return v, nil
	}
	sess, err := wb.Accounts.Resume(r.Context(), c.Value, wb.clientIP(r))
	if errors.Is(err, account.ErrNoSession) {
		wb.clearCookie(w, wb.sessionCookie())
		v.expired = true
		return v, nil
	}
	if err != nil {
		return v, err
	}
	v.p, v.csrf = sess.Principal, sess.CSRF
	return v, nil
}

// clientIP is the visitor's address, through trusted proxies.
func (wb *Web) clientIP(r *http.Request) string { return wb.Clients.Addr(r).String() }

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
	limit := int64(maxFormBytes)
	if r.URL.Path == importPath {
		limit = maxImportFormBytes
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	sent := r.Header.Get("X-CSRF-Token")
	if sent == "" {
		if err := parseForm(r); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				err = problem.New(http.StatusRequestEntityTooLarge, "the form is larger than %d MB; an OpenAPI document may be up to %d MB, or give its URL instead", limit>>20, integration.MaxImportBytes>>20)
			} else if _, slow := problem.As(err); !slow {
				err = problem.BadRequest("the form could not be read: %v", err)
			}
			wb.errorPage(w, r, v, err)
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

// maxFormBytes bounds form posts but OpenAPI uploads, which
// maxImportFormBytes bounds: the largest document import takes, plus the
// form's other fields.
const (
	maxFormBytes       = 16 << 20
	maxImportFormBytes = integration.MaxImportBytes + 1<<20
	importPath         = "/integrations/import"
)

func parseForm(r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); len(ct) >= 19 && ct[:19] == "multipart/form-data" {
		return r.ParseMultipartForm(maxFormBytes) // memory; the rest goes to temporary files
	}
	return r.ParseForm()
}

func (wb *Web) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Path: "/", HttpOnly: true, Secure: wb.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// startSession sets the cookie of a session the account service started.
func (wb *Web) startSession(w http.ResponseWriter, sess *account.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: wb.sessionCookie(), Value: sess.Token, Path: "/", HttpOnly: true, Secure: wb.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(wb.Accounts.Lifetime().Seconds()),
	})
	wb.clearCookie(w, wb.csrfCookie())
}

// client is what the account service records of the browser.
func (wb *Web) client(r *http.Request) account.Client {
	return account.Client{IP: wb.clientIP(r), UserAgent: r.UserAgent()}
}
