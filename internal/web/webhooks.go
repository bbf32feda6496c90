package web

import (
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
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
	list, err := wb.Webhooks.List(r.Context(), v.p)
	if err != nil {
		return err
	}
	rows := make([]webhookRow, 0, len(list))
	for _, h := range list {
		counts, err := wb.Webhooks.RunCounts(r.Context(), v.p, h.ID)
		if err != nil {
			return err
		}
		rows = append(rows, webhookRow{V: h, Counts: counts})
	}
	wb.renderWebhooks(w, r, v, http.StatusOK, rows, nil, "", "")
	return nil
}

func (wb *Web) renderWebhooks(w http.ResponseWriter, r *http.Request, v *visit, status int, rows []webhookRow, errs map[string]string, name, source string) {
	wb.render(w, r, v, status, "webhooks", view{
		Title: "Webhooks", Nav: "webhooks", Errors: errs,
		Data: map[string]any{"Rows": rows, "Sources": sourcePresets, "Name": name, "Source": source, "CanBuild": v.may(access.Build)},
	})
}

// webhookCreate creates a webhook and shows its secret, once.
func (wb *Web) webhookCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	name, source := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("source")
	in := webhook.Input{Name: &name, Source: &source}
	if secret := strings.TrimSpace(r.PostFormValue("secret")); secret != "" {
		in.Secret = &secret // the sender's own signing secret, e.g. Stripe's whsec_…
	}
	created, err := wb.Webhooks.Create(r.Context(), v.p, in)
	if msg, ok := refusal(err); ok {
		errs, _ := formErrors(err)
		if errs == nil {
			errs = map[string]string{}
		}
		errs[""] = msg
		wb.renderWebhooks(w, r, v, http.StatusUnprocessableEntity, nil, errs, name, source)
		return nil
	}
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusCreated, "webhook_created", view{Title: "Webhook created", Nav: "webhooks", Data: map[string]any{"V": created}})
	return nil
}
