package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/trigger"
	"github.com/plugboard/plugboard/internal/webhook"
)

// triggerForm is the trigger builder: a condition, the action to run and
// a row per parameter mapping.
type triggerForm struct {
	When, Integration, Action, Environment string
	Params                                 []mapping
}

type mapping struct{ Name, Value string }

// target is an action a trigger may run, as the builder offers it: the
// form's value ("<integration slug>:<action key>") and its tool name.
type target struct{ Value, Label string }

func (wb *Web) webhookDetail(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.Webhooks.Get(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return wb.renderWebhook(w, r, v, http.StatusOK, h, triggerForm{Environment: connector.Sandbox}, nil, "")
}

func (wb *Web) renderWebhook(w http.ResponseWriter, r *http.Request, v *visit, status int, h webhook.View, tf triggerForm, errs map[string]string, check string) error {
	page, err := wb.Webhooks.Events(r.Context(), v.p, h.ID, store.EventFilter{Limit: 20})
	if err != nil {
		return err
	}
	list, err := wb.Integrations.List(r.Context(), v.p)
	if err != nil {
		return err
	}
	var targets []target
	for _, t := range list {
		for _, a := range t.Definition.Actions {
			targets = append(targets, target{Value: t.Integration.Slug + ":" + a.Key, Label: connector.ToolName(t.Integration.Slug, a.Key)})
		}
	}
	for len(tf.Params) < 3 {
		tf.Params = append(tf.Params, mapping{})
	}
	wb.render(w, r, v, status, "webhook", view{
		Title: h.Name, Nav: "webhooks", Errors: errs, Problem: errs[""],
		Data: map[string]any{
			"V": h, "Events": page.Events, "TF": tf, "Tools": targets, "Check": check,
			"AllowedIPs": strings.Join(h.AllowedIPs, "\n"), "CanBuild": v.may(access.Build),
		},
	})
	return nil
}

// rerender shows the webhook page again after a refused form, with the
// problem next to the form or at the top.
func (wb *Web) rerender(w http.ResponseWriter, r *http.Request, v *visit, id string, tf triggerForm, err error, field string) error {
	msg, ok := refusal(err)
	if !ok {
		return err
	}
	h, gerr := wb.Webhooks.Get(r.Context(), v.p, id)
	if gerr != nil {
		return gerr
	}
	errs, _ := formErrors(err)
	if errs == nil {
		errs = map[string]string{}
	}
	if field != "" {
		for f, m := range errs {
			if strings.HasPrefix(f, "triggers[") {
				errs[field] = m
			}
		}
		if errs[field] == "" {
			errs[field] = msg
		}
	} else if len(errs) == 0 {
		errs[""] = msg
	}
	return wb.renderWebhook(w, r, v, http.StatusUnprocessableEntity, h, tf, errs, "")
}

// webhookSettings saves the IP allowlist and the rate limit.
func (wb *Web) webhookSettings(w http.ResponseWriter, r *http.Request, v *visit) error {
	id := r.PathValue("id")
	ips := strings.FieldsFunc(r.PostFormValue("allowed_ips"), func(c rune) bool { return c == '\n' || c == ',' || c == ' ' || c == '\r' })
	in := webhook.Input{AllowedIPs: &ips}
	if s := strings.TrimSpace(r.PostFormValue("rate_limit_per_second")); s != "" {
		rate, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return wb.rerender(w, r, v, id, triggerForm{Environment: connector.Sandbox},
				badFormField("rate_limit_per_second", "must be a number of events per second, like 50"), "")
		}
		in.RateLimitPerSecond = &rate
	}
	if _, err := wb.Webhooks.Update(r.Context(), v.p, id, in); err != nil {
		return wb.rerender(w, r, v, id, triggerForm{Environment: connector.Sandbox}, err, "")
	}
	wb.redirect(w, r, "/webhooks/"+id, "Saved the allowlist and rate limit.")
	return nil
}

func triggerFromForm(r *http.Request) (triggerForm, trigger.Spec) {
	tf := triggerForm{When: strings.TrimSpace(r.PostFormValue("when")), Environment: r.PostFormValue("environment")}
	spec := trigger.Spec{When: tf.When, Environment: tf.Environment, Params: map[string]any{}}
	if tool := r.PostFormValue("tool"); tool != "" {
		tf.Integration, tf.Action, _ = strings.Cut(tool, ":")
		spec.Integration, spec.Action = tf.Integration, tf.Action
	}
	for i := 0; i < 50; i++ {
		name := strings.TrimSpace(r.PostFormValue(fmt.Sprintf("map[%d].name", i)))
		val := r.PostFormValue(fmt.Sprintf("map[%d].value", i))
		if _, sent := r.PostForm[fmt.Sprintf("map[%d].name", i)]; !sent {
			break
		}
		tf.Params = append(tf.Params, mapping{name, val})
		if name != "" {
			spec.Params[name] = val
		}
	}
	return tf, spec
}

// visibleTriggers are the triggers the page shows, to send back as they
// are beside a change.
func visibleTriggers(h webhook.View) []webhook.TriggerInput {
	out := make([]webhook.TriggerInput, 0, len(h.Triggers))
	for _, t := range h.Triggers {
		out = append(out, webhook.TriggerInput{ID: t.ID, Spec: t.Spec})
	}
	return out
}

// triggerAdd appends a trigger built with the form; it runs as the member
// who adds it.
func (wb *Web) triggerAdd(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.Webhooks.Get(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	tf, spec := triggerFromForm(r)
	if r.PostFormValue("check") != "" {
		check, err := wb.Webhooks.Preview(r.Context(), v.p, h.ID, spec)
		if err != nil {
			return err
		}
		return wb.renderWebhook(w, r, v, http.StatusOK, h, tf, nil, check)
	}
	list := append(visibleTriggers(h), webhook.TriggerInput{Spec: spec})
	if _, err := wb.Webhooks.Update(r.Context(), v.p, h.ID, webhook.Input{Triggers: &list}); err != nil {
		return wb.rerender(w, r, v, h.ID, tf, err, "trigger")
	}
	wb.redirect(w, r, "/webhooks/"+h.ID, "Added the trigger. It runs for every new event that matches.")
	return nil
}

func (wb *Web) triggerDelete(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.Webhooks.Get(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	list := []webhook.TriggerInput{}
	for _, t := range visibleTriggers(h) {
		if t.ID != r.PathValue("tid") {
			list = append(list, t)
		}
	}
	if _, err := wb.Webhooks.Update(r.Context(), v.p, h.ID, webhook.Input{Triggers: &list}); err != nil {
		return err
	}
	wb.redirect(w, r, "/webhooks/"+h.ID, "Removed the trigger.")
	return nil
}

// triggerCheck answers the builder's live check as plain text.
func (wb *Web) triggerCheck(w http.ResponseWriter, r *http.Request, v *visit) error {
	_, spec := triggerFromForm(r)
	check, err := wb.Webhooks.Preview(r.Context(), v.p, r.PathValue("id"), spec)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(check))
	return nil
}

// webhookTest sends a signed sample event through the whole ingest path.
func (wb *Web) webhookTest(w http.ResponseWriter, r *http.Request, v *visit) error {
	id := r.PathValue("id")
	res, err := wb.Webhooks.SendTest(r.Context(), v.p, id, nil)
	if err != nil {
		return err
	}
	if res.EventID == "" {
		wb.redirect(w, r, "/webhooks/"+id, fmt.Sprintf("The test event was refused with HTTP %d: %s", res.Status, res.Body))
		return nil
	}
	wb.redirect(w, r, "/webhooks/"+id, fmt.Sprintf("Test event %s arrived (HTTP %d).", res.EventID, res.Status))
	return nil
}

// webhookRotate installs a new signing secret (pasted or generated) and
// shows it once; the previous one keeps verifying for the grace period.
func (wb *Web) webhookRotate(w http.ResponseWriter, r *http.Request, v *visit) error {
	id := r.PathValue("id")
	rotated, err := wb.Webhooks.Rotate(r.Context(), v.p, id, webhook.RotateInput{Secret: strings.TrimSpace(r.PostFormValue("secret"))})
	if msg, ok := refusal(err); ok {
		wb.redirect(w, r, "/webhooks/"+id, "The secret was not rotated: "+msg)
		return nil
	}
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "webhook_created", view{Title: "New signing secret", Nav: "webhooks", Data: map[string]any{"V": rotated, "Rotated": true}})
	return nil
}

func (wb *Web) webhookDelete(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.Webhooks.Get(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := wb.Webhooks.Delete(r.Context(), v.p, h.ID); err != nil {
		return err
	}
	wb.redirect(w, r, "/webhooks", "Deleted the webhook "+h.Name+"; its URL no longer accepts events.")
	return nil
}

func (wb *Web) eventDetail(w http.ResponseWriter, r *http.Request, v *visit) error {
	e, err := wb.Webhooks.Event(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	h, err := wb.Webhooks.Get(r.Context(), v.p, e.WebhookID)
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "event", view{Title: "Event " + e.ID, Nav: "webhooks", Data: map[string]any{"E": e, "H": h, "CanBuild": v.may(access.Run)}})
	return nil
}

func (wb *Web) eventReplay(w http.ResponseWriter, r *http.Request, v *visit) error {
	res, err := wb.Webhooks.ReplayEvent(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	wb.redirect(w, r, "/events/"+r.PathValue("id"), fmt.Sprintf("Queued %d trigger run(s) again.", res.Replayed))
	return nil
}
