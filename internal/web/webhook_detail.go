package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhook"
	"github.com/plugboard/plugboard/internal/webhook/trigger"
)

// triggerForm is the trigger builder: a condition, the action to run and
// a row per parameter mapping.
type triggerForm struct {
	When, Integration, Action, Environment string
	Params                                 []mapping
}

type mapping struct{ Name, Value string }

func (wb *Web) webhookDetail(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.loadWebhook(r, v, api.PermRead)
	if err != nil {
		return err
	}
	return wb.renderWebhook(w, r, v, http.StatusOK, h, triggerForm{Environment: connector.Sandbox}, nil, "")
}

func (wb *Web) renderWebhook(w http.ResponseWriter, r *http.Request, v *visit, status int, h store.Webhook, tf triggerForm, errs map[string]string, check string) error {
	page, err := wb.Webhooks.Events(r.Context(), v.p.Org.ID, h.ID, store.EventFilter{Limit: 20})
	if err != nil {
		return err
	}
	ints, err := wb.Store.ListIntegrations(r.Context(), v.p.Org.ID)
	if err != nil {
		return err
	}
	var actions []string
	for _, in := range ints {
		if t, err := wb.Executor.Load(r.Context(), v.p.Org.ID, in.ID, connector.Sandbox, -2); err == nil {
			for _, a := range t.Definition.Actions {
				actions = append(actions, in.Slug+"__"+a.Key)
			}
		}
	}
	for len(tf.Params) < 3 {
		tf.Params = append(tf.Params, mapping{})
	}
	vw := wb.Webhooks.View(h)
	wb.render(w, r, v, status, "webhook", view{
		Title: vw.Name, Nav: "webhooks", Errors: errs, Problem: errs[""],
		Data: map[string]any{
			"V": vw, "Events": page.Events, "TF": tf, "Tools": actions, "Check": check,
			"AllowedIPs": strings.Join(vw.AllowedIPs, "\n"), "CanBuild": v.may(api.PermBuild) == nil,
		},
	})
	return nil
}

// webhookSettings saves the IP allowlist and the rate limit.
func (wb *Web) webhookSettings(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.loadWebhook(r, v, api.PermBuild)
	if err != nil {
		return err
	}
	ips := strings.FieldsFunc(r.PostFormValue("allowed_ips"), func(c rune) bool { return c == '\n' || c == ',' || c == ' ' || c == '\r' })
	in := webhook.Input{AllowedIPs: &ips}
	errs := map[string]string{}
	if s := strings.TrimSpace(r.PostFormValue("rate_limit_per_second")); s != "" {
		rate, err := strconv.ParseFloat(s, 64)
		if err != nil {
			errs["rate_limit_per_second"] = "must be a number of events per second, like 50"
		}
		in.RateLimitPerSecond = &rate
	}
	if len(errs) == 0 {
		_, err = wb.Webhooks.Update(r.Context(), v.p.Org.ID, h.ID, in)
		if p, ok := asProblem(err); ok && p.Status < 500 {
			for _, fe := range p.Errors {
				errs[fe.Field] = fe.Message
			}
			if len(p.Errors) == 0 {
				errs[""] = p.Detail
			}
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return wb.renderWebhook(w, r, v, http.StatusUnprocessableEntity, h, triggerForm{Environment: connector.Sandbox}, errs, "")
	}
	wb.redirect(w, r, "/webhooks/"+h.ID, "Saved the allowlist and rate limit.")
	return nil
}

func triggerFromForm(r *http.Request) (triggerForm, trigger.Spec) {
	tf := triggerForm{When: strings.TrimSpace(r.PostFormValue("when")), Environment: r.PostFormValue("environment")}
	spec := trigger.Spec{When: tf.When, Environment: tf.Environment, Params: map[string]any{}}
	if tool := r.PostFormValue("tool"); tool != "" {
		tf.Integration, tf.Action, _ = strings.Cut(tool, "__")
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

// triggerAdd appends a trigger built with the form.
func (wb *Web) triggerAdd(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.loadWebhook(r, v, api.PermBuild)
	if err != nil {
		return err
	}
	tf, spec := triggerFromForm(r)
	if r.PostFormValue("check") != "" {
		return wb.renderWebhook(w, r, v, http.StatusOK, h, tf, nil, wb.liveCheck(r, v, h, spec))
	}
	list := make([]json.RawMessage, 0, len(h.Triggers)+1)
	for _, t := range h.Triggers {
		list = append(list, json.RawMessage(t.Spec))
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	list = append(list, raw)
	if _, err := wb.Webhooks.Update(r.Context(), v.p.Org.ID, h.ID, webhook.Input{Triggers: &list}); err != nil {
		p, ok := asProblem(err)
		if !ok || p.Status >= 500 {
			return err
		}
		errs := map[string]string{"trigger": p.Detail}
		for _, fe := range p.Errors {
			errs["trigger"] = strings.TrimPrefix(fe.Message, "")
		}
		return wb.renderWebhook(w, r, v, http.StatusUnprocessableEntity, h, tf, errs, "")
	}
	wb.redirect(w, r, "/webhooks/"+h.ID, "Added the trigger. It runs for every new event that matches.")
	return nil
}

func (wb *Web) triggerDelete(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.loadWebhook(r, v, api.PermBuild)
	if err != nil {
		return err
	}
	list := []json.RawMessage{}
	for _, t := range h.Triggers {
		if t.ID != r.PathValue("tid") {
			list = append(list, json.RawMessage(t.Spec))
		}
	}
	if _, err := wb.Webhooks.Update(r.Context(), v.p.Org.ID, h.ID, webhook.Input{Triggers: &list}); err != nil {
		return err
	}
	wb.redirect(w, r, "/webhooks/"+h.ID, "Removed the trigger.")
	return nil
}

// triggerCheck answers the builder's live check as plain text.
func (wb *Web) triggerCheck(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.loadWebhook(r, v, api.PermRead)
	if err != nil {
		return err
	}
	_, spec := triggerFromForm(r)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(wb.liveCheck(r, v, h, spec)))
	return nil
}

// liveCheck evaluates a trigger against the last event the webhook
// received, with the same compiler the trigger runs use.
func (wb *Web) liveCheck(r *http.Request, v *visit, h store.Webhook, spec trigger.Spec) string {
	page, err := wb.Webhooks.Events(r.Context(), v.p.Org.ID, h.ID, store.EventFilter{Limit: 1})
	if err != nil || len(page.Events) == 0 {
		return "No event received yet: send a test event, then check again."
	}
	e, err := wb.Store.GetEvent(r.Context(), v.p.Org.ID, page.Events[0].ID)
	if err != nil {
		return "Could not load the last event: " + err.Error()
	}
	var hdr http.Header
	_ = json.Unmarshal([]byte(e.Headers), &hdr)
	env := trigger.Env(trigger.Webhook{ID: h.ID, Name: h.Name, Source: h.Source}, hdr, e.Body)
	tr, err := trigger.Compile("", spec)
	if err != nil {
		return "Not valid: " + err.Error()
	}
	ok, err := tr.Match(env)
	if err != nil {
		return "The condition fails on event " + e.ID + ": " + err.Error()
	}
	if !ok {
		return "Event " + e.ID + " does not match the condition; this trigger would not run for it."
	}
	params, err := tr.Params(env)
	if err != nil {
		return "Event " + e.ID + " matches, but a parameter fails: " + err.Error()
	}
	b, _ := json.MarshalIndent(params, "", "  ")
	return "Event " + e.ID + " matches. The action would get these params:\n" + string(b)
}

// webhookTest sends a signed sample event through the whole ingest path.
func (wb *Web) webhookTest(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.loadWebhook(r, v, api.PermBuild)
	if err != nil {
		return err
	}
	res, err := wb.Webhooks.SendTest(r.Context(), v.p.Org.ID, h.ID, nil)
	if err != nil {
		return err
	}
	if res.EventID == "" {
		wb.redirect(w, r, "/webhooks/"+h.ID, fmt.Sprintf("The test event was refused with HTTP %d: %s", res.Status, res.Body))
		return nil
	}
	wb.redirect(w, r, "/webhooks/"+h.ID, fmt.Sprintf("Test event %s arrived (HTTP %d).", res.EventID, res.Status))
	return nil
}

// webhookRotate installs a new signing secret (pasted or generated) and
// shows it once; the previous one keeps verifying for the grace period.
func (wb *Web) webhookRotate(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.loadWebhook(r, v, api.PermBuild)
	if err != nil {
		return err
	}
	rotated, err := wb.Webhooks.Rotate(r.Context(), v.p.Org.ID, h.ID, webhook.RotateInput{Secret: strings.TrimSpace(r.PostFormValue("secret"))})
	if p, ok := asProblem(err); ok && p.Status < 500 {
		wb.redirect(w, r, "/webhooks/"+h.ID, "The secret was not rotated: "+p.Detail)
		return nil
	}
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "webhook_created", view{Title: "New signing secret", Nav: "webhooks", Data: map[string]any{"V": rotated, "Rotated": true}})
	return nil
}

func (wb *Web) webhookDelete(w http.ResponseWriter, r *http.Request, v *visit) error {
	h, err := wb.loadWebhook(r, v, api.PermBuild)
	if err != nil {
		return err
	}
	if err := wb.Webhooks.Delete(r.Context(), v.p.Org.ID, h.ID); err != nil {
		return err
	}
	wb.redirect(w, r, "/webhooks", "Deleted the webhook "+h.Name+"; its URL no longer accepts events.")
	return nil
}

func (wb *Web) eventDetail(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermRead); err != nil {
		return err
	}
	e, err := wb.Webhooks.Event(r.Context(), v.p.Org.ID, r.PathValue("id"))
	if err != nil {
		return orNotFound(err, "event")
	}
	h, err := wb.Store.GetWebhook(r.Context(), v.p.Org.ID, e.WebhookID)
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "event", view{Title: "Event " + e.ID, Nav: "webhooks", Data: map[string]any{"E": e, "H": h, "CanBuild": v.may(api.PermBuild) == nil}})
	return nil
}

func (wb *Web) eventReplay(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermBuild); err != nil {
		return err
	}
	res, err := wb.Webhooks.ReplayEvent(r.Context(), v.p.Org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	wb.redirect(w, r, "/events/"+r.PathValue("id"), fmt.Sprintf("Queued %d trigger run(s) again.", res.Replayed))
	return nil
}
