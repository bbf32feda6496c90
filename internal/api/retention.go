package api

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/retention"
	"github.com/plugboard/plugboard/internal/store"
)

// getOrg is the caller's organization with its plan's limits and what it
// keeps for how long.
func (a *API) getOrg(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	kept, err := a.Retention.Get(r.Context(), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	limits, _ := plan.Get(p.Org.Plan)
	writeJSON(w, http.StatusOK, struct {
		store.Org
		Limits    plan.Limits      `json:"limits"`
		Retention retention.Policy `json:"retention"`
	}{p.Org, limits, kept})
}

// getRetention, setRetention and resetRetention are the platform
// operator's view and override of one organization's retention.
func (a *API) getRetention(w http.ResponseWriter, r *http.Request) {
	kept, err := a.Retention.For(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, kept)
}

func (a *API) setRetention(w http.ResponseWriter, r *http.Request) {
	var in retention.Override
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeRetention(w, r, in)
}

func (a *API) resetRetention(w http.ResponseWriter, r *http.Request) {
	a.writeRetention(w, r, retention.Override{})
}

func (a *API) writeRetention(w http.ResponseWriter, r *http.Request, in retention.Override) {
	kept, err := a.Retention.Set(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, kept)
}
