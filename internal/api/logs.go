package api

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/store"
)

func (a *API) listLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.CallLogFilter{
		IntegrationID: q.Get("integration"), Action: q.Get("action"), Environment: q.Get("environment"),
		Source: q.Get("source"), Status: q.Get("status"), Before: q.Get("cursor"),
	}
	lp, err := parseListParams(q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f.Since, f.Until, f.Limit = lp.Since, lp.Until, lp.Limit
	logs, err := a.Logs.List(r.Context(), principal(r), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := map[string]any{"logs": logs}
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
	l, err := a.Logs.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}
