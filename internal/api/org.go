package api

import (
	"net/http"
	"strconv"

	"github.com/plugboard/plugboard/internal/org"
	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

func (a *API) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	limits, _ := plan.Get(p.Org.Plan)
	writeJSON(w, http.StatusOK, map[string]any{"user": p.User, "org": p.Org, "plan": limits})
}

// updateOrg changes the plan (platform administrators) or the name and
// white-label branding (owners).
func (a *API) updateOrg(w http.ResponseWriter, r *http.Request) {
	var in org.Changes
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	o, err := a.Org.Update(r.Context(), principal(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// createOrg lets a platform administrator open another organization with
// its owner; the owner's key is shown once.
func (a *API) createOrg(w http.ResponseWriter, r *http.Request) {
	var in org.NewOrg
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	out, err := a.Org.Create(r.Context(), principal(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := a.Org.Members(r.Context(), principal(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

// inviteUser adds a member with a role and returns their first API key and
// the link with which they set a dashboard password, both shown once.
func (a *API) inviteUser(w http.ResponseWriter, r *http.Request) {
	var in org.Invitation
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	in.WithKey = true
	out, err := a.Org.Invite(r.Context(), principal(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// signinLink gives a member without a password (the caller with "me") a
// new single-use sign-in link, shown once.
func (a *API) signinLink(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	id := r.PathValue("id")
	if id == "me" {
		id = p.User.ID
	}
	out, err := a.Org.NewSigninLink(r.Context(), p, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (a *API) listTeams(w http.ResponseWriter, r *http.Request) {
	teams, err := a.Org.Teams(r.Context(), principal(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": teams})
}

func (a *API) createTeam(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.Org.CreateTeam(r.Context(), principal(r), in.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (a *API) deleteTeam(w http.ResponseWriter, r *http.Request) {
	if err := a.Org.DeleteTeam(r.Context(), principal(r), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) setTeamMember(member bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.Org.SetTeamMember(r.Context(), principal(r), r.PathValue("id"), r.PathValue("user"), member); err != nil {
			a.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *API) createKey(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	k, key, err := a.Org.CreateKey(r.Context(), principal(r), in.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "name": k.Name, "key": key, "prefix": k.Prefix, "created_at": k.CreatedAt})
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := a.Org.Keys(r.Context(), principal(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func (a *API) revokeKey(w http.ResponseWriter, r *http.Request) {
	if err := a.Org.RevokeKey(r.Context(), principal(r), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.AuditFilter{ActorUserID: q.Get("actor"), TargetID: q.Get("target"), Action: q.Get("action")}
	lp, err := parseListParams(q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f.Since, f.Limit = lp.Since, lp.Limit
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			a.fail(w, r, problem.BadRequest("cursor must be a number from a previous page, got %q", v))
			return
		}
		f.Before = n
	}
	events, err := a.Org.Trail(r.Context(), principal(r), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := map[string]any{"events": events}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	if len(events) == limit {
		out["next_cursor"] = strconv.FormatInt(events[len(events)-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) verifyAudit(w http.ResponseWriter, r *http.Request) {
	v, err := a.Org.VerifyTrail(r.Context(), principal(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
