package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/account"
	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/approval"
	"github.com/plugboard/plugboard/internal/calllog"
	"github.com/plugboard/plugboard/internal/clientip"
	"github.com/plugboard/plugboard/internal/connectedapp"
	"github.com/plugboard/plugboard/internal/connection"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/org"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/retention"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhook"
)

//go:embed templates static
var files embed.FS

// Deps are the application layer the pages call; every field is required
// but Logger.
type Deps struct {
	Accounts     *account.Service
	Integrations *integration.Service
	Connections  *connection.Service
	Agents       *agent.Service
	Apps         *connectedapp.Service
	Org          *org.Service
	Webhooks     *webhook.Service
	Actions      *action.Service
	Approvals    *approval.Service
	Logs         *calllog.Reader
	Retention    *retention.Service
	Logger       *slog.Logger
	// PublicURL prefixes links shown to copy (webhook URLs, sign-in
	// links); https also makes cookies Secure.
	PublicURL string
	// Clients finds a visitor's address behind trusted proxies. Defaults
	// to the connection's peer.
	Clients *clientip.Resolver
}

// Web serves the dashboard.
type Web struct {
	Deps
	pages  map[string]*template.Template
	assets *assets
	secure bool
}

// New parses the embedded templates and fingerprints the assets.
func New(d Deps) (*Web, error) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	wb := &Web{Deps: d, secure: strings.HasPrefix(d.PublicURL, "https://")}
	var err error
	if wb.assets, err = loadAssets(files); err != nil {
		return nil, err
	}
	if wb.pages, err = wb.parsePages(); err != nil {
		return nil, err
	}
	return wb, nil
}

func (wb *Web) parsePages() (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(wb.funcs()).ParseFS(files, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse dashboard layout: %w", err)
	}
	names, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	pages := make(map[string]*template.Template, len(names))
	for _, n := range names {
		t, err := template.Must(base.Clone()).ParseFS(files, n)
		if err != nil {
			return nil, fmt.Errorf("parse dashboard page %s: %w", n, err)
		}
		pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/pages/"), ".html")] = t
	}
	return pages, nil
}

// view is what every page template receives.
type view struct {
	Title   string
	Nav     string // which main navigation item is current
	Brand   brand
	User    *store.User // nil when signed out
	Org     store.Org
	CSRF    string
	Flash   string
	Problem string            // a message for the whole page
	Errors  map[string]string // field → message, shown next to the field
	Data    any
	// FormAction is another origin (or scheme) a form's answer may
	// redirect to: the app on the consent screen.
	FormAction string
	// Approvals is how many calls wait for the member's decision, for
	// the navigation.
	Approvals int
}

// render writes page with status. The visit supplies the signed-in user
// and CSRF token.
func (wb *Web) render(w http.ResponseWriter, r *http.Request, v *visit, status int, page string, data view) {
	t, ok := wb.pages[page]
	if !ok {
		wb.Logger.ErrorContext(r.Context(), "dashboard page missing", "page", page)
		http.Error(w, "page missing", http.StatusInternalServerError)
		return
	}
	if v != nil {
		data.CSRF = v.csrf
		if v.signedIn() {
			u := v.p.User
			data.User, data.Org = &u, v.p.Org
			if wb.Approvals != nil {
				data.Approvals = wb.Approvals.Waiting(r.Context(), v.p)
			}
		}
		if data.Flash == "" {
			data.Flash = takeFlash(w, r, wb.secure)
		}
	}
	data.Brand = brandFor(data.Org)
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		wb.Logger.ErrorContext(r.Context(), "render dashboard page", "page", page, "error", err)
		http.Error(w, "could not render the page; the error was logged", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	formAction := "'self'"
	if data.FormAction != "" {
		formAction += " " + data.FormAction
	}
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}

// redirect answers a form post with 303 See Other to path, carrying a
// one-time flash message when given.
func (wb *Web) redirect(w http.ResponseWriter, r *http.Request, path, flash string) {
	if flash != "" {
		setFlash(w, flash, wb.secure)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

const flashCookie = "pb_flash"

func setFlash(w http.ResponseWriter, msg string, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

func takeFlash(w http.ResponseWriter, r *http.Request, secure bool) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	msg, _ := url.QueryUnescape(c.Value)
	return msg
}

// errorPage shows err as a page: problems with their status and detail,
// missing rows as 404, anything else as a logged 500.
func (wb *Web) errorPage(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	status, title, detail := http.StatusInternalServerError, "Something went wrong", "Something went wrong on our side; the error was logged."
	switch p, ok := problem.As(err); {
	case ok:
		status, detail = p.Status, p.Detail
		title = http.StatusText(p.Status)
		if p.Title != "" {
			title = p.Title
		}
		if status >= 500 && p.Cause != nil {
			wb.Logger.WarnContext(r.Context(), "dashboard request failed", "path", r.URL.Path, "status", status, "error", p.Cause)
		}
	case errors.Is(err, store.ErrNotFound):
		status, title, detail = http.StatusNotFound, "Not found", "There is nothing here, or it belongs to another organization."
	case errors.Is(err, context.Canceled):
		return
	default:
		wb.Logger.ErrorContext(r.Context(), "dashboard request failed", "path", r.URL.Path, "error", err)
	}
	if p, ok := problem.As(err); ok && p.RetryAfter > 0 {
		setRetryAfter(w, p)
		detail += " You can try again after " + retryAt(p) + "."
	}
	wb.render(w, r, v, status, "error", view{Title: title, Problem: detail, Data: map[string]any{"Status": status}})
}

// setRetryAfter sends a problem's wait in whole seconds, rounded up.
func setRetryAfter(w http.ResponseWriter, p *problem.Error) {
	w.Header().Set("Retry-After", strconv.Itoa(int((p.RetryAfter+time.Second-1)/time.Second)))
}

// retryAt is when a problem's wait ends, for a person to read.
func retryAt(p *problem.Error) string {
	return time.Now().Add(p.RetryAfter).UTC().Format("15:04:05 UTC")
}

// formErrors turns a problem that lists bad fields into messages keyed by
// field, for a form to show next to its inputs; several problems with one
// field are joined. ok is false for any other error.
func formErrors(err error) (map[string]string, bool) {
	p, ok := problem.As(err)
	if !ok || p.Status >= 500 || len(p.Errors) == 0 {
		return nil, false
	}
	out := make(map[string]string, len(p.Errors))
	for _, fe := range p.Errors {
		if prev := out[fe.Field]; prev != "" {
			out[fe.Field] = prev + "; " + fe.Message
		} else {
			out[fe.Field] = fe.Message
		}
	}
	return out, true
}

// refusal is the detail of a problem the member can act on (not a
// permission refusal or a missing object, which get their own page).
func refusal(err error) (string, bool) {
	p, ok := problem.As(err)
	if !ok || p.Status >= 500 || p.Status == http.StatusForbidden || p.Status == http.StatusNotFound {
		return "", false
	}
	return p.Detail, true
}
