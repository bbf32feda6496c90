package api

import (
	"errors"
	"net/http"

	"github.com/plugboard/plugboard/internal/auth"
	"github.com/plugboard/plugboard/internal/connection"
	"github.com/plugboard/plugboard/internal/store"
)

func (a *API) createConnection(w http.ResponseWriter, r *http.Request) {
	var in connection.Input
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	c, err := a.Connections.Create(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := map[string]any{"id": c.ID, "environment": c.Environment, "status": c.Status, "personal": c.UserID != ""}
	if c.AuthorizeURL != "" {
		out["authorize_url"] = c.AuthorizeURL
	}
	writeJSON(w, http.StatusCreated, out)
}

func (a *API) listConnections(w http.ResponseWriter, r *http.Request) {
	list, err := a.Connections.List(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if list == nil {
		list = []store.Connection{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": list})
}

func (a *API) getConnection(w http.ResponseWriter, r *http.Request) {
	c, err := a.Connections.Get(r.Context(), principal(r), r.PathValue("id"), r.PathValue("cid"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *API) updateConnection(w http.ResponseWriter, r *http.Request) {
	var in connection.Changes
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	c, err := a.Connections.Update(r.Context(), principal(r), r.PathValue("id"), r.PathValue("cid"), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *API) deleteConnection(w http.ResponseWriter, r *http.Request) {
	if err := a.Connections.Delete(r.Context(), principal(r), r.PathValue("id"), r.PathValue("cid")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// authorizeConnection starts the OAuth 2.0 authorization code flow of a
// connection: it answers 302 to the provider.
func (a *API) authorizeConnection(w http.ResponseWriter, r *http.Request) {
	target, err := a.Connections.Authorize(r.Context(), principal(r), r.PathValue("id"), r.PathValue("cid"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// OAuthCallback is GET /oauth/callback, where providers send the user's
// browser back. It needs no API key: the single-use state proves which
// flow, connection and member the answer belongs to.
func (a *API) OAuthCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	res, err := a.Connections.Complete(r.Context(), auth.Callback{
		State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description"),
	}, a.clientIP(r))
	if err == nil {
		renderPage(w, http.StatusOK, page{OK: true, Title: "Connected",
			Message: res.Integration.Name + " (" + res.Connection.Environment + ") is connected. You can close this window."})
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
