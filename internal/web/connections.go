package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Secrets are never put back into a form: the page shows only whether a
// connection is set and when it was last updated, and saving replaces
// the credentials whole.

type envConnections struct {
	Env      string
	Shared   *store.Connection
	Personal *store.Connection
}

func (wb *Web) connections(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, api.PermRead)
	if err != nil {
		return err
	}
	wb.renderConnections(w, r, v, http.StatusOK, t, nil, "")
	return nil
}

func (wb *Web) renderConnections(w http.ResponseWriter, r *http.Request, v *visit, status int, t *executor.Target, errs map[string]string, env string) {
	list, err := wb.Store.ListConnections(r.Context(), v.p.Org.ID, t.Integration.ID, v.p.User.ID)
	if err != nil {
		wb.errorPage(w, r, v, err)
		return
	}
	envs := []*envConnections{{Env: connector.Sandbox}, {Env: connector.Production}}
	for i := range list {
		c := &list[i]
		for _, e := range envs {
			if e.Env != c.Environment {
				continue
			}
			if c.UserID == "" {
				e.Shared = c
			} else {
				e.Personal = c
			}
		}
	}
	a := t.Definition.Auth
	wb.render(w, r, v, status, "connections", view{
		Title: "Connections · " + t.Integration.Name, Nav: "integrations", Errors: errs,
		Data: integrationData(t, "connections", map[string]any{
			"Envs": envs, "Auth": a, "FormEnv": env, "CanConnect": v.may(api.PermConnect) == nil,
			"OAuthCode": a.Type == connector.AuthOAuth2 && a.Grant == connector.GrantAuthorizationCode,
		}),
	})
}

func (wb *Web) connectionSave(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, api.PermConnect)
	if err != nil {
		return err
	}
	env := r.PostFormValue("environment")
	if env != connector.Sandbox && env != connector.Production {
		return badForm("environment must be sandbox or production")
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	creds := connector.Credentials{
		APIKey: f("api_key"), Token: f("token"), Username: f("username"), Password: r.PostFormValue("password"),
		ClientID: f("client_id"), ClientSecret: f("client_secret"),
	}
	base := f("base_url")
	errs := map[string]string{}
	if base != "" {
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs["base_url"] = "must be an absolute http(s) URL, or empty to use the integration's"
		}
	}
	a := t.Definition.Auth
	status := store.ConnActive
	if a.Type == connector.AuthOAuth2 && a.Grant == connector.GrantAuthorizationCode {
		status = store.ConnPending
	}
	if err := a.CheckCredentials(creds); err != nil {
		errs["credentials"] = err.Error()
	}
	if len(errs) > 0 {
		wb.renderConnections(w, r, v, http.StatusUnprocessableEntity, t, errs, env)
		return nil
	}
	conn := store.Connection{ID: store.NewConnectionID(), OrgID: v.p.Org.ID, IntegrationID: t.Integration.ID, Environment: env, BaseURL: base, Status: status, Name: f("name")}
	if r.PostFormValue("personal") != "" {
		conn.UserID = v.p.User.ID
	}
	existing, err := wb.existingConnection(r, t, env, conn.UserID)
	if err != nil {
		return err
	}
	if existing != nil {
		conn = *existing
		conn.BaseURL = base
	}
	sealed, err := wb.Auth.Seal(conn.ID, creds)
	if err != nil {
		return err
	}
	if existing == nil {
		conn.Secret = sealed
		if conn, err = wb.Store.CreateConnection(r.Context(), conn); err != nil {
			return err
		}
	} else {
		if err := wb.Store.UpdateConnectionSecret(r.Context(), conn.ID, sealed, creds.Expiry, status, ""); err != nil {
			return err
		}
		if err := wb.Store.UpdateConnection(r.Context(), conn); err != nil {
			return err
		}
	}
	wb.Logger.InfoContext(r.Context(), "connection saved from the dashboard", "integration_id", t.Integration.ID, "connection_id", conn.ID, "environment", env, "user_id", v.p.User.ID)
	if status == store.ConnPending {
		wb.redirect(w, r, "/integrations/"+t.Integration.ID+"/connections", "Saved the "+env+" client. Click Connect to authorize it with the provider.")
		return nil
	}
	wb.redirect(w, r, "/integrations/"+t.Integration.ID+"/connections", "Saved the "+env+" credentials. They are encrypted and will not be shown again.")
	return nil
}

// existingConnection is the connection a save replaces: the shared one of
// the environment, or the member's own when personal.
func (wb *Web) existingConnection(r *http.Request, t *executor.Target, env, userID string) (*store.Connection, error) {
	list, err := wb.Store.ListConnections(r.Context(), t.Integration.OrgID, t.Integration.ID, userID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Environment == env && list[i].UserID == userID {
			return &list[i], nil
		}
	}
	return nil, nil
}

func (wb *Web) connectionDelete(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, api.PermConnect)
	if err != nil {
		return err
	}
	c, err := wb.visibleConnection(r, v, t)
	if err != nil {
		return err
	}
	if wb.BeforeDisconnect != nil {
		wb.BeforeDisconnect(r.Context(), c)
	}
	if err := wb.Store.DeleteConnection(r.Context(), v.p.Org.ID, c.ID); err != nil {
		return err
	}
	wb.redirect(w, r, "/integrations/"+t.Integration.ID+"/connections", "Removed the "+c.Environment+" connection.")
	return nil
}

// visibleConnection loads the connection a URL names when the member may
// see it: shared ones and their own.
func (wb *Web) visibleConnection(r *http.Request, v *visit, t *executor.Target) (store.Connection, error) {
	c, err := wb.Store.GetConnection(r.Context(), v.p.Org.ID, t.Integration.ID, r.PathValue("cid"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.UserID != "" && c.UserID != v.p.User.ID) {
		return store.Connection{}, problem.NotFound("no such connection")
	}
	return c, err
}

// connectionConnect starts the OAuth 2.0 authorization code flow for a
// connection and sends the browser to the provider; the provider sends it
// back to /oauth/callback.
func (wb *Web) connectionConnect(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, api.PermConnect)
	if err != nil {
		return err
	}
	c, err := wb.visibleConnection(r, v, t)
	if err != nil {
		return err
	}
	to, err := wb.Auth.StartAuthorization(r.Context(), c, t.Definition.Auth, v.p.User.ID)
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
