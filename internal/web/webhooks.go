package web

import (
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhook"
	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// sourcePresets are the senders a webhook can be set up for; each decides
// how signatures are checked.
var sourcePresets = []struct{ Value, Label string }{
	{signature.SourceStripe, "Stripe"}, {signature.SourceGitHub, "GitHub"}, {signature.SourceSlack, "Slack"},
	{signature.SourceShopify, "Shopify"}, {signature.SourceStandard, "Standard Webhooks"}, {signature.SourceHMAC, "Generic HMAC-SHA256"},
}

type webhookRow struct {
	V      webhook.View
	Counts map[string]int
}

func (wb *Web) webhookList(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermRead); err != nil {
		return err
	}
	list, err := wb.Store.ListWebhooks(r.Context(), v.p.Org.ID)
	if err != nil {
		return err
	}
	rows := make([]webhookRow, 0, len(list))
	for _, h := range list {
		counts, err := wb.Store.CountRuns(r.Context(), v.p.Org.ID, h.ID)
		if err != nil {
			return err
		}
		rows = append(rows, webhookRow{V: wb.Webhooks.View(h), Counts: counts})
	}
	wb.renderWebhooks(w, r, v, http.StatusOK, rows, nil, "", "")
	return nil
}

func (wb *Web) renderWebhooks(w http.ResponseWriter, r *http.Request, v *visit, status int, rows []webhookRow, errs map[string]string, name, source string) {
	wb.render(w, r, v, status, "webhooks", view{
		Title: "Webhooks", Nav: "webhooks", Errors: errs,
		Data: map[string]any{"Rows": rows, "Sources": sourcePresets, "Name": name, "Source": source, "CanBuild": v.may(api.PermBuild) == nil},
	})
}

// webhookCreate creates a webhook and shows its secret, once.
func (wb *Web) webhookCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermBuild); err != nil {
		return err
	}
	name, source := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("source")
	in := webhook.Input{Name: &name, Source: &source}
	if secret := strings.TrimSpace(r.PostFormValue("secret")); secret != "" {
		in.Secret = &secret // the sender's own signing secret, e.g. Stripe's whsec_…
	}
	created, err := wb.Webhooks.Create(r.Context(), v.p.Org.ID, in)
	if p, ok := asProblem(err); ok && p.Status < 500 {
		errs := map[string]string{"": p.Detail}
		for _, fe := range p.Errors {
			errs[fe.Field] = fe.Message
		}
		wb.renderWebhooks(w, r, v, http.StatusUnprocessableEntity, nil, errs, name, source)
		return nil
	}
	if err != nil {
		return err
	}
	wb.Logger.InfoContext(r.Context(), "webhook created in the dashboard", "webhook_id", created.ID, "source", created.Source, "user_id", v.p.User.ID)
	wb.render(w, r, v, http.StatusCreated, "webhook_created", view{Title: "Webhook created", Nav: "webhooks", Data: map[string]any{"V": created}})
	return nil
}

// loadWebhook loads the webhook a URL names.
func (wb *Web) loadWebhook(r *http.Request, v *visit, perm string) (store.Webhook, error) {
	if err := v.may(perm); err != nil {
		return store.Webhook{}, err
	}
	h, err := wb.Store.GetWebhook(r.Context(), v.p.Org.ID, r.PathValue("id"))
	if err != nil {
		return store.Webhook{}, orNotFound(err, "webhook")
	}
	return h, nil
}

func orNotFound(err error, what string) error {
	if err == store.ErrNotFound || strings.Contains(err.Error(), store.ErrNotFound.Error()) {
		return problem.NotFound("no such %s in this organization", what)
	}
	return err
}
