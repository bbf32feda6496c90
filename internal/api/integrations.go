package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/openapi"
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

// view renders t; full adds the definition, and the connected workers of
// a code integration.
func (a *API) view(ctx context.Context, p access.Principal, t *integration.Target, full bool) integrationView {
	in, def := t.Integration, t.Definition
	v := integrationView{
		ID: in.ID, Slug: in.Slug, Name: in.Name, Kind: in.Kind, Version: in.LatestVersion,
		DeployedVersion: in.DeployedVersion, Status: in.Status(), CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
		Actions: []actionView{}, BaseURL: def.BaseURL, Auth: def.Auth.Type,
	}
	for i := range def.Actions {
		act := &def.Actions[i]
		v.Actions = append(v.Actions, actionView{Key: act.Key, Name: act.Name, Description: act.Description, Method: act.Method,
			Endpoint: act.Endpoint, Tool: connector.ToolName(in.Slug, act.Key), InputSchema: act.InputSchemaJSON()})
	}
	if full {
		v.Definition = def
	}
	if in.Kind == store.KindCode {
		n, err := a.Workers.Connected(ctx, p, in)
		if err != nil {
			a.Logger.WarnContext(ctx, "count connected workers", "integration", in.ID, "error", err)
		}
		v.WorkersConnected = &n
	}
	return v
}

func (a *API) createIntegration(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, MaxBodyBytes)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.Integrations.Create(r.Context(), principal(r), body)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a.view(r.Context(), principal(r), t, true))
}

func (a *API) listIntegrations(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	list, err := a.Integrations.List(r.Context(), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]integrationView, 0, len(list))
	for _, t := range list {
		out = append(out, a.view(r.Context(), p, t, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"integrations": out})
}

func (a *API) getIntegration(w http.ResponseWriter, r *http.Request) {
	version := executor.VersionLatest
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			a.fail(w, r, problem.BadRequest("version must be a positive number, got %q", v))
			return
		}
		version = n
	}
	t, err := a.Integrations.Get(r.Context(), principal(r), r.PathValue("id"), version)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.view(r.Context(), principal(r), t, true))
}

func (a *API) updateIntegration(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, MaxBodyBytes)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	t, _, err := a.Integrations.Update(r.Context(), principal(r), r.PathValue("id"), body)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.view(r.Context(), principal(r), t, true))
}

func (a *API) deleteIntegration(w http.ResponseWriter, r *http.Request) {
	if err := a.Integrations.Delete(r.Context(), principal(r), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) deployIntegration(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Version int `json:"version"`
	}
	if err := decodeOptional(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.Integrations.Deploy(r.Context(), principal(r), r.PathValue("id"), in.Version)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.view(r.Context(), principal(r), t, true))
}

func (a *API) listVersions(w http.ResponseWriter, r *http.Request) {
	vs, err := a.Integrations.Versions(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
}

func (a *API) getIntegrationTeams(w http.ResponseWriter, r *http.Request) {
	teams, err := a.Integrations.Teams(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": teams})
}

// setIntegrationTeams restricts an integration to teams; an empty list
// opens it to the whole organization again.
func (a *API) setIntegrationTeams(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Teams []string `json:"teams"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	teams, err := a.Integrations.SetTeams(r.Context(), principal(r), r.PathValue("id"), in.Teams)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": teams})
}

// importedView is an integration as created, with what the import did.
type importedView struct {
	integrationView
	Report *openapi.Report `json:"import_report"`
}

func (a *API) importIntegration(w http.ResponseWriter, r *http.Request) {
	// The document plus room for the other fields and JSON string escapes.
	const limit = integration.MaxImportBytes + 1<<20
	tooLarge := problem.New(http.StatusRequestEntityTooLarge, "the request body exceeds %d MB; send the document's URL as openapi_url instead", integration.MaxImportBytes>>20)
	if r.ContentLength > limit {
		// Answered before reading: a client that asked to continue never
		// sends the body, and one that did not is not read for nothing.
		w.Header().Set("Connection", "close")
		a.fail(w, r, tooLarge)
		return
	}
	body, err := readBody(r, limit)
	if pe, ok := problem.As(err); ok && pe.Status == http.StatusRequestEntityTooLarge {
		err = tooLarge
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in integration.ImportInput
	if err := decodeBytes(body, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	t, report, err := a.Integrations.Import(r.Context(), principal(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, importedView{integrationView: a.view(r.Context(), principal(r), t, true), Report: report})
}
