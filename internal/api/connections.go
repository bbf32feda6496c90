package api

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

type connectionInput struct {
	Environment string                `json:"environment"`
	Credentials connector.Credentials `json:"credentials"`
	Name        string                `json:"name,omitempty"`
	BaseURL     string                `json:"base_url,omitempty"`
	// Personal makes the connection the caller's own instead of the
	// organization's shared one.
	Personal bool `json:"personal,omitempty"`
}

func (a *API) createConnection(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in connectionInput
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.Executor.Load(r.Context(), p.Org.ID, r.PathValue("id"), connector.Sandbox, -2)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if in.Environment == "" {
		in.Environment = connector.Sandbox
	}
	if in.Environment != connector.Sandbox && in.Environment != connector.Production {
		a.fail(w, r, problem.Invalid("environment must be \"sandbox\" or \"production\"", []problem.FieldError{{Field: "environment", Message: "must be sandbox or production"}}))
		return
	}
	if in.BaseURL != "" {
		if u, err := url.Parse(in.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			a.fail(w, r, problem.Invalid("base_url must be an absolute http(s) URL", []problem.FieldError{{Field: "base_url", Message: "must be an absolute http(s) URL"}}))
			return
		}
	}
	authSpec := t.Definition.Auth
	status := store.ConnActive
	if authSpec.Type == connector.AuthOAuth2 && authSpec.Grant == "authorization_code" && in.Credentials.AccessToken == "" {
		status = store.ConnPending
	}
	if status == store.ConnActive {
		if err := authSpec.CheckCredentials(in.Credentials); err != nil {
			a.fail(w, r, problem.Invalid(err.Error(), []problem.FieldError{{Field: "credentials", Message: err.Error()}}))
			return
		}
	}
	conn := store.Connection{
		ID: store.NewConnectionID(), OrgID: p.Org.ID, IntegrationID: t.Integration.ID, Environment: in.Environment,
		Name: in.Name, BaseURL: in.BaseURL, Status: status,
	}
	if in.Personal {
		conn.UserID = p.User.ID
	}
	conn.Secret, err = a.Auth.Seal(conn.ID, in.Credentials)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	conn, err = a.Store.CreateConnection(r.Context(), conn)
	if errors.Is(err, store.ErrConflict) {
		owner := "shared"
		if in.Personal {
			owner = "personal"
		}
		a.fail(w, r, problem.Conflict("integration %q already has a %s %s connection; replace its credentials with PUT or delete it first", t.Integration.Name, owner, in.Environment))
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := map[string]any{"id": conn.ID, "environment": conn.Environment, "status": conn.Status, "personal": conn.UserID != ""}
	if conn.Status == store.ConnPending {
		out["authorize_url"] = a.PublicURL + "/v1/integrations/" + t.Integration.ID + "/connections/" + conn.ID + "/authorize"
	}
	writeJSON(w, http.StatusCreated, out)
}

func (a *API) listConnections(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	in, err := a.Store.GetIntegration(r.Context(), p.Org.ID, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, orNotFound(err, "integration", r.PathValue("id")))
		return
	}
	list, err := a.Store.ListConnections(r.Context(), p.Org.ID, in.ID, p.User.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if list == nil {
		list = []store.Connection{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": list})
}

// visibleConnection loads a connection the caller may see: shared ones and
// the caller's own. Another user's connection is not found.
func (a *API) visibleConnection(r *http.Request) (store.Connection, error) {
	p := principal(r)
	in, err := a.Store.GetIntegration(r.Context(), p.Org.ID, r.PathValue("id"))
	if err != nil {
		return store.Connection{}, orNotFound(err, "integration", r.PathValue("id"))
	}
	c, err := a.Store.GetConnection(r.Context(), p.Org.ID, in.ID, r.PathValue("cid"))
	if err != nil || (c.UserID != "" && c.UserID != p.User.ID) {
		return store.Connection{}, notFound("connection", r.PathValue("cid"))
	}
	return c, nil
}

func (a *API) getConnection(w http.ResponseWriter, r *http.Request) {
	c, err := a.visibleConnection(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *API) updateConnection(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	c, err := a.visibleConnection(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in connectionInput
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.Executor.Load(r.Context(), p.Org.ID, c.IntegrationID, connector.Sandbox, -2)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := t.Definition.Auth.CheckCredentials(in.Credentials); err != nil {
		a.fail(w, r, problem.Invalid(err.Error(), []problem.FieldError{{Field: "credentials", Message: err.Error()}}))
		return
	}
	status := store.ConnActive
	if au := t.Definition.Auth; au.Type == connector.AuthOAuth2 && au.Grant == connector.GrantAuthorizationCode && in.Credentials.AccessToken == "" {
		// New client credentials without tokens: the user authorizes again.
		status = store.ConnPending
	}
	sealed, err := a.Auth.Seal(c.ID, in.Credentials)
	if err == nil {
		err = a.Store.UpdateConnectionSecret(r.Context(), c.ID, sealed, in.Credentials.Expiry, status, "")
	}
	if err == nil && (in.Name != "" || in.BaseURL != "") {
		c.Name, c.BaseURL = in.Name, in.BaseURL
		err = a.Store.UpdateConnection(r.Context(), c)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	c, _ = a.Store.GetConnectionByID(r.Context(), c.ID)
	writeJSON(w, http.StatusOK, c)
}

func (a *API) deleteConnection(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	c, err := a.visibleConnection(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if a.BeforeDisconnect != nil {
		a.BeforeDisconnect(r.Context(), c)
	}
	if err := a.Store.DeleteConnection(r.Context(), p.Org.ID, c.ID); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
