package api

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/store"
)

// listEvents serves GET /v1/webhooks/{id}/events?status=&trigger=&since=&until=&cursor=&after=&limit=.
// cursor pages back through older events; after follows newer ones, oldest
// first (what `plugboard webhooks tail` polls with).
func (a *webhookAPI) listEvents(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	q := r.URL.Query()
	f := store.EventFilter{Status: q.Get("status"), TriggerID: q.Get("trigger"), Before: q.Get("cursor"), After: q.Get("after")}
	lp, err := parseListParams(q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f.Since, f.Until, f.Limit = lp.Since, lp.Until, lp.Limit
	id := r.PathValue("id")
	page, err := a.Webhooks.Events(r.Context(), p.Org.ID, id, f)
	if err != nil {
		a.fail(w, r, orNotFound(err, "webhook", id))
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (a *webhookAPI) getEvent(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	id := r.PathValue("id")
	v, err := a.Webhooks.Event(r.Context(), p.Org.ID, id)
	if err != nil {
		a.fail(w, r, orNotFound(err, "event", id))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *webhookAPI) replayEvent(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	id := r.PathValue("id")
	res, err := a.Webhooks.ReplayEvent(r.Context(), p.Org.ID, id)
	if err != nil {
		a.fail(w, r, orNotFound(err, "event", id))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// replayWebhook serves POST /v1/webhooks/{id}/replay {"status": "dead"}:
// the bulk replay of a dead-letter list.
func (a *webhookAPI) replayWebhook(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in struct {
		Status string `json:"status"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	id := r.PathValue("id")
	res, err := a.Webhooks.ReplayWebhook(r.Context(), p.Org.ID, id, in.Status)
	if err != nil {
		a.fail(w, r, orNotFound(err, "webhook", id))
		return
	}
	writeJSON(w, http.StatusOK, res)
}
