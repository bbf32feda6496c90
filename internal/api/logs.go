package api

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

func (a *API) listLogs(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	q := r.URL.Query()
	f := store.CallLogFilter{
		IntegrationID: q.Get("integration"), Action: q.Get("action"), Environment: q.Get("environment"),
		Source: q.Get("source"), Status: q.Get("status"), Before: q.Get("cursor"),
	}
	if f.IntegrationID != "" {
		in, err := a.Store.GetIntegration(r.Context(), p.Org.ID, f.IntegrationID)
		if err != nil {
			a.fail(w, r, orNotFound(err, "integration", f.IntegrationID))
			return
		}
		f.IntegrationID = in.ID
	}
	lp, err := parseListParams(q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f.Since, f.Until, f.Limit = lp.Since, lp.Until, lp.Limit
	logs, err := a.Store.ListCallLogs(r.Context(), p.Org.ID, f)
	if err != nil {
		a.fail(w, r, problem.BadRequest("%v", err))
		return
	}
	out := map[string]any{"logs": logs}
	if logs == nil {
		out["logs"] = []store.CallLog{}
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	if len(logs) == limit {
		out["next_cursor"] = logs[len(logs)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getLog(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	l, err := a.Store.GetCallLog(r.Context(), p.Org.ID, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, orNotFound(err, "call log", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, l)
}
