package web

import (
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/store"
)

// logRanges are the time filters the call log offers.
var logRanges = []struct {
	Value, Label string
	D            time.Duration
}{{"15m", "last 15 minutes", 15 * time.Minute}, {"1h", "last hour", time.Hour}, {"24h", "last 24 hours", 24 * time.Hour}, {"7d", "last 7 days", 7 * 24 * time.Hour}, {"", "any time", 0}}

const logPage = 50

func (wb *Web) logList(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	f := store.CallLogFilter{Action: q.Get("action"), Status: q.Get("status"), Before: q.Get("cursor"), Limit: logPage}
	list, err := wb.Integrations.List(r.Context(), v.p)
	if err != nil {
		return err
	}
	names := map[string]string{}
	ints := make([]store.Integration, 0, len(list))
	for _, t := range list {
		in := t.Integration
		ints = append(ints, in)
		names[in.ID] = in.Name
		if q.Get("integration") == in.ID || q.Get("integration") == in.Slug {
			f.IntegrationID = in.ID
		}
	}
	for _, rg := range logRanges {
		if rg.Value == q.Get("since") && rg.D > 0 {
			f.Since = time.Now().Add(-rg.D)
		}
	}
	switch f.Status {
	case "", "ok", "error":
	default:
		f.Status = ""
	}
	logs, err := wb.Logs.List(r.Context(), v.p, f)
	if err != nil {
		return err
	}
	next := ""
	if len(logs) == logPage {
		nq := r.URL.Query()
		nq.Set("cursor", logs[len(logs)-1].ID)
		next = "/logs?" + nq.Encode()
	}
	wb.render(w, r, v, http.StatusOK, "logs", view{
		Title: "Call log", Nav: "logs",
		Data: map[string]any{"Logs": logs, "Names": names, "Integrations": ints, "Q": map[string]string{
			"integration": f.IntegrationID, "action": f.Action, "status": f.Status, "since": q.Get("since"),
		}, "Ranges": logRanges, "Next": next},
	})
	return nil
}

func (wb *Web) logDetail(w http.ResponseWriter, r *http.Request, v *visit) error {
	l, err := wb.Logs.Get(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	name := l.IntegrationID
	if t, err := wb.Integrations.Get(r.Context(), v.p, l.IntegrationID, executor.VersionLatest); err == nil {
		name = t.Integration.Name
	}
	wb.render(w, r, v, http.StatusOK, "log", view{Title: "Call " + l.ID, Nav: "logs", Data: map[string]any{"L": l, "Name": name}})
	return nil
}
