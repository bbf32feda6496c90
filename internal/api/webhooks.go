package api

import (
	"encoding/json"
	"net/http"

	"github.com/plugboard/plugboard/internal/webhook"
)

// webhookAPI serves the webhook and event routes with the webhook service.
type webhookAPI struct {
	*API
	Webhooks *webhook.Service
}

// RegisterWebhooks adds the webhook and event routes to mux; every route
// needs an API key.
func (a *API) RegisterWebhooks(mux *http.ServeMux, svc *webhook.Service) {
	wa := &webhookAPI{API: a, Webhooks: svc}
	wa.routes(func(pattern, perm string, fn http.HandlerFunc) { mux.Handle(pattern, a.guard(perm, fn)) })
}

func (a *webhookAPI) routes(h func(pattern, perm string, fn http.HandlerFunc)) {
	h("GET /v1/webhooks", permRead, a.listWebhooks)
	h("POST /v1/webhooks", permBuild, a.createWebhook)
	h("GET /v1/webhooks/{id}", permRead, a.getWebhook)
	h("PATCH /v1/webhooks/{id}", permBuild, a.updateWebhook)
	h("DELETE /v1/webhooks/{id}", permBuild, a.deleteWebhook)
	h("POST /v1/webhooks/{id}/rotate-secret", permBuild, a.rotateWebhookSecret)
	h("POST /v1/webhooks/{id}/test", permRun, a.testWebhook)
	h("POST /v1/webhooks/{id}/replay", permRun, a.replayWebhook)
	h("GET /v1/webhooks/{id}/events", permRead, a.listEvents)
	h("GET /v1/events/{id}", permRead, a.getEvent)
	h("POST /v1/events/{id}/replay", permRun, a.replayEvent)
}

func (a *webhookAPI) createWebhook(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in webhook.Input
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := a.Webhooks.Create(r.Context(), p.Org.ID, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/webhooks/"+v.ID)
	writeJSON(w, http.StatusCreated, v)
}

func (a *webhookAPI) listWebhooks(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	list, err := a.Store.ListWebhooks(r.Context(), p.Org.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]webhook.View, len(list))
	for i, wh := range list {
		out[i] = a.Webhooks.View(wh)
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

func (a *webhookAPI) getWebhook(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	id := r.PathValue("id")
	wh, err := a.Store.GetWebhook(r.Context(), p.Org.ID, id)
	if err != nil {
		a.fail(w, r, orNotFound(err, "webhook", id))
		return
	}
	writeJSON(w, http.StatusOK, a.Webhooks.View(wh))
}

func (a *webhookAPI) updateWebhook(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in webhook.Input
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	v, err := a.Webhooks.Update(r.Context(), p.Org.ID, id, in)
	if err != nil {
		a.fail(w, r, orNotFound(err, "webhook", id))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *webhookAPI) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	id := r.PathValue("id")
	if err := a.Webhooks.Delete(r.Context(), p.Org.ID, id); err != nil {
		a.fail(w, r, orNotFound(err, "webhook", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *webhookAPI) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in webhook.RotateInput
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	id := r.PathValue("id")
	v, err := a.Webhooks.Rotate(r.Context(), p.Org.ID, id, in)
	if err != nil {
		a.fail(w, r, orNotFound(err, "webhook", id))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *webhookAPI) testWebhook(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in struct {
		Body json.RawMessage `json:"body"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	id := r.PathValue("id")
	res, err := a.Webhooks.SendTest(r.Context(), p.Org.ID, id, in.Body)
	if err != nil {
		a.fail(w, r, orNotFound(err, "webhook", id))
		return
	}
	writeJSON(w, http.StatusOK, res)
}
