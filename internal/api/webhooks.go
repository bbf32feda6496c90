package api

import (
	"encoding/json"
	"net/http"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhook"
)

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in webhook.Input
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := a.Webhooks.Create(r.Context(), principal(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/webhooks/"+v.ID)
	writeJSON(w, http.StatusCreated, v)
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) {
	list, err := a.Webhooks.List(r.Context(), principal(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": list})
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request) {
	v, err := a.Webhooks.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var in webhook.Input
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := a.Webhooks.Update(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := a.Webhooks.Delete(r.Context(), principal(r), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	var in webhook.RotateInput
	if err := decodeOptional(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := a.Webhooks.Rotate(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) testWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Body json.RawMessage `json:"body"`
	}
	if err := decodeOptional(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.Webhooks.SendTest(r.Context(), principal(r), r.PathValue("id"), in.Body)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// listEvents serves GET /v1/webhooks/{id}/events?status=&trigger=&since=&until=&cursor=&after=&limit=.
// cursor pages back through older events; after follows newer ones, oldest
// first (what `plugboard webhooks tail` polls with).
func (a *API) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.EventFilter{Status: q.Get("status"), TriggerID: q.Get("trigger"), Before: q.Get("cursor"), After: q.Get("after")}
	lp, err := parseListParams(q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f.Since, f.Until, f.Limit = lp.Since, lp.Until, lp.Limit
	page, err := a.Webhooks.Events(r.Context(), principal(r), r.PathValue("id"), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (a *API) getEvent(w http.ResponseWriter, r *http.Request) {
	v, err := a.Webhooks.Event(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) replayEvent(w http.ResponseWriter, r *http.Request) {
	res, err := a.Webhooks.ReplayEvent(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// replayWebhook serves POST /v1/webhooks/{id}/replay {"status": "dead"}:
// the bulk replay of a dead-letter list.
func (a *API) replayWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status string `json:"status"`
	}
	if err := decodeOptional(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.Webhooks.ReplayWebhook(r.Context(), principal(r), r.PathValue("id"), in.Status)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
