package web

import (
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connection"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/integration"
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
	t, err := wb.loadIntegration(r, v, access.Read)
	if err != nil {
		return err
	}
	return wb.renderConnections(w, r, v, http.StatusOK, t, nil, "")
}

func (wb *Web) renderConnections(w http.ResponseWriter, r *http.Request, v *visit, status int, t *integration.Target, errs map[string]string, env string) error {
	list, err := wb.Connections.List(r.Context(), v.p, t.Integration.ID)
	if err != nil {
		return err
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
		Title: "Connections · " + t.Integration.Name, Nav: "integrations", Errors: errs, Problem: errs[""],
		Data: integrationData(t, "connections", map[string]any{
			"Envs": envs, "Auth": a, "FormEnv": env, "CanConnect": v.may(access.Connect),
			"OAuthCode": a.Type == connector.AuthOAuth2 && a.Grant == connector.GrantAuthorizationCode,
		}),
	})
	return nil
}

// connectionSave saves the credentials of an environment: the form adds
// the shared connection (or, ticked, the member's own) or replaces the
// credentials of the one that exists, with the same checks as the API.
func (wb *Web) connectionSave(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Read)
	if err != nil {
		return err
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	env, personal := r.PostFormValue("environment"), r.PostFormValue("personal") != ""
	creds := connector.Credentials{
		APIKey: f("api_key"), Token: f("token"), Username: f("username"), Password: r.PostFormValue("password"),
		ClientID: f("client_id"), ClientSecret: f("client_secret"),
	}
	existing, err := wb.existingConnection(r, v, t, env, personal)
	if err != nil {
		return err
	}
	var c store.Connection
	if existing != nil {
		name, base := f("name"), f("base_url")
		c, err = wb.Connections.Update(r.Context(), v.p, t.Integration.ID, existing.ID, connection.Changes{Credentials: &creds, Name: &name, BaseURL: &base})
	} else {
		var created *connection.Created
		created, err = wb.Connections.Create(r.Context(), v.p, t.Integration.ID, connection.Input{
			Environment: env, Credentials: creds, Name: f("name"), BaseURL: f("base_url"), Personal: personal,
		})
		if created != nil {
			c = created.Connection
		}
	}
	if errs, ok := formErrors(err); ok {
		return wb.renderConnections(w, r, v, http.StatusUnprocessableEntity, t, errs, env)
	}
	if msg, ok := refusal(err); ok {
		return wb.renderConnections(w, r, v, http.StatusUnprocessableEntity, t, map[string]string{"": msg}, env)
	}
	if err != nil {
		return err
	}
	back := "/integrations/" + t.Integration.ID + "/connections"
	if c.Status == store.ConnPending {
		wb.redirect(w, r, back, "Saved the "+env+" client. Click Connect to authorize it with the provider.")
		return nil
	}
	wb.redirect(w, r, back, "Saved the "+env+" credentials. They are encrypted and will not be shown again.")
	return nil
}

// existingConnection is the connection a save replaces: the shared one of
// the environment, or the member's own when personal.
func (wb *Web) existingConnection(r *http.Request, v *visit, t *integration.Target, env string, personal bool) (*store.Connection, error) {
	list, err := wb.Connections.List(r.Context(), v.p, t.Integration.ID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Environment == env && (list[i].UserID != "") == personal {
			return &list[i], nil
		}
	}
	return nil, nil
}

func (wb *Web) connectionDelete(w http.ResponseWriter, r *http.Request, v *visit) error {
	c, err := wb.Connections.Get(r.Context(), v.p, r.PathValue("id"), r.PathValue("cid"))
	if err != nil {
		return err
	}
	if err := wb.Connections.Delete(r.Context(), v.p, r.PathValue("id"), c.ID); err != nil {
		return err
	}
	wb.redirect(w, r, "/integrations/"+c.IntegrationID+"/connections", "Removed the "+c.Environment+" connection.")
	return nil
}

// connectionConnect starts the OAuth 2.0 authorization code flow for a
// connection and sends the browser to the provider; the provider sends it
// back to /oauth/callback.
func (wb *Web) connectionConnect(w http.ResponseWriter, r *http.Request, v *visit) error {
	to, err := wb.Connections.Authorize(r.Context(), v.p, r.PathValue("id"), r.PathValue("cid"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
