package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/mcp"
	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// integrationView is how an integration reads through the API.
type integrationView struct {
	ID              string                `json:"id"`
	Slug            string                `json:"slug"`
	Name            string                `json:"name"`
	Kind            string                `json:"kind"`
	Version         int                   `json:"version"`
	DeployedVersion int                   `json:"deployed_version,omitempty"`
	Status          string                `json:"status"`
	BaseURL         string                `json:"base_url"`
	Auth            string                `json:"auth"`
	Actions         []actionView          `json:"actions"`
	Definition      *connector.Definition `json:"definition,omitempty"`
	CreatedAt       time.Time             `json:"created_at"`
	UpdatedAt       time.Time             `json:"updated_at"`

	// WorkersConnected counts the SDK workers serving a code integration.
	WorkersConnected *int `json:"workers_connected,omitempty"`
}

type actionView struct {
	Key         string          `json:"key"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Method      string          `json:"method"`
	Endpoint    string          `json:"endpoint"`
	Tool        string          `json:"tool"`
	InputSchema json.RawMessage `json:"input_schema"`
}

func viewIntegration(in store.Integration, def *connector.Definition, full bool) integrationView {
	v := integrationView{
		ID: in.ID, Slug: in.Slug, Name: in.Name, Kind: in.Kind, Version: in.LatestVersion,
		DeployedVersion: in.DeployedVersion, Status: in.Status(), CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
		Actions: []actionView{},
	}
	if def != nil {
		v.BaseURL, v.Auth = def.BaseURL, def.Auth.Type
		for i := range def.Actions {
			a := &def.Actions[i]
			v.Actions = append(v.Actions, actionView{Key: a.Key, Name: a.Name, Description: a.Description, Method: a.Method,
				Endpoint: a.Endpoint, Tool: mcp.ToolName(in.Slug, a.Key), InputSchema: a.InputSchemaJSON()})
		}
		if full {
			v.Definition = def
		}
	}
	return v
}

// parseDefinition turns a body into a definition or a 400 listing each
// bad field.
func parseDefinition(body []byte) (*connector.Definition, error) {
	def, err := connector.Parse(body)
	if err == nil {
		return def, nil
	}
	var ve *connector.ValidationError
	if errors.As(err, &ve) {
		fields := make([]problem.FieldError, 0, len(ve.Errors))
		for _, fe := range ve.Errors {
			fields = append(fields, problem.FieldError{Field: fe.Field, Message: fe.Message})
		}
		return nil, problem.Invalid("the integration definition is not valid: "+ve.Error(), fields)
	}
	return nil, problem.BadRequest("the integration definition is not valid: %v", err)
}

func (a *API) createIntegration(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	body, err := readBody(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	def, err := parseDefinition(body)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	in, err := a.storeIntegration(r, p, def, store.KindConnector)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewIntegration(in, def, true))
}

// storeIntegration saves def as a new integration, within the plan.
func (a *API) storeIntegration(r *http.Request, p store.Principal, def *connector.Definition, kind string) (store.Integration, error) {
	n, err := a.Store.CountIntegrations(r.Context(), p.Org.ID)
	if err != nil {
		return store.Integration{}, err
	}
	if err := plan.CheckIntegrations(p.Org.Plan, n); err != nil {
		return store.Integration{}, &problem.Error{Status: http.StatusForbidden, Title: "Plan limit reached", Detail: err.Error()}
	}
	canonical, err := json.Marshal(def)
	if err != nil {
		return store.Integration{}, err
	}
	slug := connector.Slug(def.Name)
	in, err := a.Store.CreateIntegration(r.Context(), store.Integration{OrgID: p.Org.ID, Slug: slug, Name: def.Name, Kind: kind, CreatedBy: p.User.ID}, canonical)
	if errors.Is(err, store.ErrConflict) {
		return store.Integration{}, problem.Conflict("an integration named %q (slug %q) already exists in this organization; pick another name or update it with PUT /v1/integrations/%s", def.Name, slug, slug)
	}
	return in, err
}

func (a *API) listIntegrations(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	list, err := a.Store.ListIntegrations(r.Context(), p.Org.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]integrationView, 0, len(list))
	for _, in := range list {
		if ok, err := CanUseIntegration(r.Context(), a.Store, p, in.ID); err != nil || !ok {
			if err != nil {
				a.fail(w, r, err)
				return
			}
			continue
		}
		t, err := a.Executor.Load(r.Context(), p.Org.ID, in.ID, connector.Sandbox, -2)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		v := viewIntegration(in, t.Definition, false)
		a.workersConnected(r.Context(), p.Org.ID, &v)
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"integrations": out})
}

func (a *API) getIntegration(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	version := -2
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			a.fail(w, r, problem.BadRequest("version must be a positive number, got %q", v))
			return
		}
		version = n
	}
	t, err := a.Executor.Load(r.Context(), p.Org.ID, r.PathValue("id"), connector.Sandbox, version)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := viewIntegration(t.Integration, t.Definition, true)
	a.workersConnected(r.Context(), p.Org.ID, &v)
	writeJSON(w, http.StatusOK, v)
}

func (a *API) updateIntegration(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	in, err := a.Store.GetIntegration(r.Context(), p.Org.ID, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, orNotFound(err, "integration", r.PathValue("id")))
		return
	}
	if in.Kind == store.KindCode {
		a.fail(w, r, problem.Conflict("integration %q is defined in code; change it in its Go worker and restart the worker", in.Name))
		return
	}
	body, err := readBody(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	def, err := parseDefinition(body)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	canonical, _ := json.Marshal(def)
	in, err = a.Store.AddVersion(r.Context(), p.Org.ID, in.ID, def.Name, canonical, p.User.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewIntegration(in, def, true))
}

func (a *API) deleteIntegration(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	in, err := a.Store.GetIntegration(r.Context(), p.Org.ID, r.PathValue("id"))
	if err == nil {
		err = a.Store.DeleteIntegration(r.Context(), p.Org.ID, in.ID)
	}
	if err != nil {
		a.fail(w, r, orNotFound(err, "integration", r.PathValue("id")))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) deployIntegration(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var body struct {
		Version int `json:"version"`
	}
	if r.ContentLength > 0 {
		if err := decode(r, &body); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	version := body.Version
	if version == 0 {
		version = -2
	}
	t, err := a.Executor.Load(r.Context(), p.Org.ID, r.PathValue("id"), connector.Sandbox, version)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	in, err := a.Store.Deploy(r.Context(), p.Org.ID, t.Integration.ID, t.Version)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.notifyDeployed(r, in)
	writeJSON(w, http.StatusOK, viewIntegration(in, t.Definition, true))
}

func (a *API) listVersions(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	in, err := a.Store.GetIntegration(r.Context(), p.Org.ID, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, orNotFound(err, "integration", r.PathValue("id")))
		return
	}
	vs, err := a.Store.ListVersions(r.Context(), in.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
}

// notifyDeployed tells listeners (the MCP server) that the tool list of an
// organization changed.
func (a *API) notifyDeployed(r *http.Request, in store.Integration) {
	if a.OnDeploy != nil {
		a.OnDeploy(r.Context(), in)
	}
}
