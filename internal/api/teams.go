package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// CanUseIntegration decides whether p may see and use an integration: any
// member when it is not restricted to teams; owners, admins and members of
// one of its teams when it is. It is the one place that decision is made
// (the API's integration routes and the dashboard both ask it).
func CanUseIntegration(ctx context.Context, st *store.Store, p store.Principal, integrationID string) (bool, error) {
	if rank[p.User.Role] >= rank[store.RoleAdmin] {
		return true, nil
	}
	teams, err := st.IntegrationTeams(ctx, integrationID)
	if err != nil || len(teams) == 0 {
		return err == nil, err
	}
	return st.InAnyTeam(ctx, p.User.ID, teams)
}

// teamScoped hides integrations restricted to teams the caller is not in:
// every route under /v1/integrations/{id} answers 404 for them, as for an
// integration of another organization.
func (a *API) teamScoped(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Pattern, "/v1/integrations/{id}") {
			next(w, r)
			return
		}
		p := principal(r)
		in, err := a.Store.GetIntegration(r.Context(), p.Org.ID, r.PathValue("id"))
		if errors.Is(err, store.ErrNotFound) {
			next(w, r) // the handler says what is missing
			return
		}
		ok := false
		if err == nil {
			ok, err = CanUseIntegration(r.Context(), a.Store, p, in.ID)
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if !ok {
			a.fail(w, r, notFound("integration", r.PathValue("id")))
			return
		}
		next(w, r)
	}
}

func (a *API) listTeams(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	teams, err := a.Store.ListTeams(r.Context(), p.Org.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": teams})
}

func (a *API) createTeam(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if strings.TrimSpace(in.Name) == "" {
		a.fail(w, r, problem.Invalid("the team needs a name", []problem.FieldError{{Field: "name", Message: "is required"}}))
		return
	}
	t, err := a.Store.CreateTeam(r.Context(), p.Org.ID, strings.TrimSpace(in.Name))
	if errors.Is(err, store.ErrConflict) {
		a.fail(w, r, problem.Conflict("a team named %q already exists", in.Name))
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (a *API) deleteTeam(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if err := a.Store.DeleteTeam(r.Context(), p.Org.ID, r.PathValue("id")); err != nil {
		a.fail(w, r, orNotFound(err, "team", r.PathValue("id")))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) setTeamMember(member bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principal(r)
		if err := authorize(p, permManageOrg); err != nil {
			a.fail(w, r, err)
			return
		}
		if err := a.Store.SetTeamMember(r.Context(), p.Org.ID, r.PathValue("id"), r.PathValue("user"), member); err != nil {
			a.fail(w, r, orNotFound(err, "team or user", r.PathValue("id")+"/"+r.PathValue("user")))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *API) getIntegrationTeams(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	in, err := a.Store.GetIntegration(r.Context(), p.Org.ID, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, orNotFound(err, "integration", r.PathValue("id")))
		return
	}
	teams, err := a.Store.IntegrationTeams(r.Context(), in.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": teams})
}

// setIntegrationTeams restricts an integration to teams; an empty list
// opens it to the whole organization again.
func (a *API) setIntegrationTeams(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in struct {
		Teams []string `json:"teams"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	integ, err := a.Store.GetIntegration(r.Context(), p.Org.ID, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, orNotFound(err, "integration", r.PathValue("id")))
		return
	}
	if err := a.Store.SetIntegrationTeams(r.Context(), p.Org.ID, integ.ID, in.Teams); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			a.fail(w, r, problem.Invalid("every team must exist in this organization", []problem.FieldError{{Field: "teams", Message: err.Error()}}))
			return
		}
		a.fail(w, r, err)
		return
	}
	if in.Teams == nil {
		in.Teams = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": in.Teams})
}
