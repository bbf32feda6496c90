package web

import (
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/store"
)

// logRanges are the time filters the call log offers.
var logRanges = []struct {
	Value, Label string
	D            time.Duration
}{{"15m", "last 15 minutes", 15 * time.Minute}, {"1h", "last hour", time.Hour}, {"24h", "last 24 hours", 24 * time.Hour}, {"7d", "last 7 days", 7 * 24 * time.Hour}, {"", "any time", 0}}

const logPage = 50

func (wb *Web) logList(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermRead); err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.CallLogFilter{Action: q.Get("action"), Status: q.Get("status"), Before: q.Get("cursor"), Limit: logPage}
	ints, err := wb.Store.ListIntegrations(r.Context(), v.p.Org.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, in := range ints {
		names[in.ID] = in.Name
		if q.Get("integration") == in.ID || q.Get("integration") == in.Slug {
			f.IntegrationID = in.ID
		}
	}
	for _, rg := range logRanges {
		if rg.Value == q.Get("since") && rg.D > 0 {
			f.Since = wb.Now().Add(-rg.D)
		}
	}
	switch f.Status {
	case "", "ok", "error":
	default:
		f.Status = ""
	}
	logs, err := wb.Store.ListCallLogs(r.Context(), v.p.Org.ID, f)
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
	if err := v.may(api.PermRead); err != nil {
		return err
	}
	l, err := wb.Store.GetCallLog(r.Context(), v.p.Org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	name := l.IntegrationID
	if in, err := wb.Store.GetIntegration(r.Context(), v.p.Org.ID, l.IntegrationID); err == nil {
		name = in.Name
	}
	wb.render(w, r, v, http.StatusOK, "log", view{Title: "Call " + l.ID, Nav: "logs", Data: map[string]any{"L": l, "Name": name}})
	return nil
}
