package api

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/plugboard/plugboard/internal/auth"
	"github.com/plugboard/plugboard/internal/executor"
)

// AuthorizeConnection starts the OAuth 2.0 authorization code flow for the
// connection {cid} of integration {id}: it answers 302 to the provider.
// Only shared connections and the caller's own can be authorized. It is
// exported so that the dashboard can serve it behind its sessions (with
// the principal set by WithPrincipal and the same path values).
func (a *API) AuthorizeConnection(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	c, err := a.visibleConnection(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.Executor.Load(r.Context(), p.Org.ID, c.IntegrationID, c.Environment, executor.VersionLatest)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	target, err := a.Auth.StartAuthorization(r.Context(), c, t.Definition.Auth, p.User.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// OAuthCallback is GET /oauth/callback, where providers send the user's
// browser back. It needs no API key: the single-use state proves which
// flow, connection and user the answer belongs to.
func (a *API) OAuthCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	res, err := a.Auth.CompleteAuthorization(r.Context(), auth.Callback{
		State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description"),
	})
	if err == nil {
		env := res.Connection.Environment
		renderPage(w, http.StatusOK, page{OK: true, Title: "Connected",
			Message: res.Integration.Name + " (" + env + ") is connected. You can close this window."})
		return
	}
	var fe *auth.FlowError
	if !errors.As(err, &fe) {
		a.Logger.ErrorContext(r.Context(), "oauth callback failed", "error", err)
		fe = &auth.FlowError{Status: http.StatusInternalServerError, Title: "Not connected", Message: "Something went wrong on our side; the error was logged. Start the connection again from Plugboard."}
	} else if fe.Cause != nil {
		a.Logger.WarnContext(r.Context(), "oauth callback refused", "title", fe.Title, "error", fe.Cause)
	}
	renderPage(w, fe.Status, page{Title: fe.Title, Message: fe.Message})
}

type page struct {
	OK             bool
	Title, Message string
}

var pageTmpl = template.Must(template.New("oauth").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Plugboard</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:12vh auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem;color:{{if .OK}}#1a7f37{{else}}#cf222e{{end}}}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

func renderPage(w http.ResponseWriter, status int, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The callback URL carries the code; keep it out of Referer headers.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, p)
}
