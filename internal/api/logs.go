package api

import (
	"net/http"
	"strconv"
	"time"

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
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				a.fail(w, r, problem.BadRequest("%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", name, v))
				return
			}
			*dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			a.fail(w, r, problem.BadRequest("limit must be a number from 1 to 500, got %q", v))
			return
		}
		f.Limit = n
	}
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
