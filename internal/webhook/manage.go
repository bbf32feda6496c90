package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/clientip"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/naming"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/trigger"
	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// Audit trail actions.
const (
	ActionCreate = "webhook.create"
	ActionUpdate = "webhook.update"
	ActionDelete = "webhook.delete"
	ActionRotate = "webhook.rotate_secret"
	ActionTest   = "webhook.test"
	ActionReplay = "webhook.replay"
)

// Input is the body of POST /v1/webhooks. On PATCH every field is optional
// and only the given ones change (the secret changes only by rotation).
type Input struct {
	Name               *string              `json:"name"`
	Source             *string              `json:"source"`
	Secret             *string              `json:"secret"`
	Options            *Options             `json:"options"`
	AllowedIPs         *[]string            `json:"allowed_ips"`
	RateLimitPerSecond *float64             `json:"rate_limit_per_second"`
	Retry              *trigger.RetryPolicy `json:"retry"`
	Triggers           *[]TriggerInput      `json:"triggers"`
}

// TriggerInput is one trigger as callers send it: a trigger.Spec, with the
// id of a saved trigger it keeps (as the webhook's view shows it) when
// it is sent back unchanged.
type TriggerInput struct {
	ID string `json:"id,omitempty"`
	trigger.Spec
}

// View is a webhook as a principal sees it. Secret is set only in the
// answers that create it (create and rotate-secret): it is never shown
// again. Triggers lists the triggers whose target the principal may use;
// HiddenTriggers counts the others, which edits keep as they are.
type View struct {
	ID                 string              `json:"id"`
	URL                string              `json:"url"`
	Name               string              `json:"name"`
	Source             string              `json:"source"`
	Secret             string              `json:"secret,omitempty"`
	PreviousSecretEnds time.Time           `json:"previous_secret_expires_at,omitzero"`
	Options            Options             `json:"options"`
	AllowedIPs         []string            `json:"allowed_ips"`
	RateLimitPerSecond float64             `json:"rate_limit_per_second"`
	Retry              trigger.RetryPolicy `json:"retry"`
	Triggers           []TriggerView       `json:"triggers"`
	HiddenTriggers     int                 `json:"hidden_triggers,omitempty"`
	CreatedAt          time.Time           `json:"created_at"`
	UpdatedAt          time.Time           `json:"updated_at"`
}

// TriggerView is a saved trigger with its id and the member it runs as.
type TriggerView struct {
	ID        string `json:"id"`
	CreatedBy string `json:"created_by"`
	trigger.Spec
}

// view renders w for p.
func (s *Service) view(ctx context.Context, p access.Principal, w store.Webhook) (View, error) {
	opts, _ := parseOptions(w.Options)
	policy, _ := trigger.ParseRetryPolicy(w.Retry)
	v := View{ID: w.ID, URL: s.URL(w.ID), Name: w.Name, Source: w.Source, Options: opts, AllowedIPs: w.AllowedIPs,
		RateLimitPerSecond: w.RateLimitPerSecond, Retry: policy, Triggers: []TriggerView{}, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	if v.RateLimitPerSecond <= 0 {
		v.RateLimitPerSecond = DefaultRateLimit
	}
	if w.PreviousSecret != "" && time.Now().Before(w.PreviousExpiresAt) {
		v.PreviousSecretEnds = w.PreviousExpiresAt
	}
	for _, tr := range w.Triggers {
		tv := TriggerView{ID: tr.ID, CreatedBy: tr.CreatedBy}
		_ = json.Unmarshal(tr.Spec, &tv.Spec)
		ok, err := s.sees(ctx, p, tv.Spec)
		if err != nil {
			return View{}, err
		}
		if !ok {
			v.HiddenTriggers++
			continue
		}
		v.Triggers = append(v.Triggers, tv)
	}
	return v, nil
}

// sees reports whether p may see a trigger: one that forwards, one whose
// integration p may use, or one whose integration is gone (its runs say
// so).
func (s *Service) sees(ctx context.Context, p access.Principal, spec trigger.Spec) (bool, error) {
	if spec.Integration == "" {
		return true, nil
	}
	in, err := s.cfg.Store.GetIntegration(ctx, p.Org.ID, spec.Integration)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return s.cfg.Rules.MayUse(ctx, p, in)
}

// load loads a webhook of p's organization for an operation needing perm.
func (s *Service) load(ctx context.Context, p access.Principal, perm access.Permission, id string) (store.Webhook, error) {
	if err := p.May(perm); err != nil {
		return store.Webhook{}, err
	}
	w, err := s.cfg.Store.GetWebhook(ctx, p.Org.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Webhook{}, access.NotFound("webhook", id)
	}
	return w, err
}

// List lists the organization's webhooks.
func (s *Service) List(ctx context.Context, p access.Principal) ([]View, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	list, err := s.cfg.Store.ListWebhooks(ctx, p.Org.ID)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(list))
	for _, w := range list {
		v, err := s.view(ctx, p, w)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Get shows one webhook.
func (s *Service) Get(ctx context.Context, p access.Principal, id string) (View, error) {
	w, err := s.load(ctx, p, access.Read, id)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, w)
}

// Create validates in and stores a new webhook; the answer carries the
// secret once. Its triggers run as p.
func (s *Service) Create(ctx context.Context, p access.Principal, in Input) (View, error) {
	if err := p.May(access.Build); err != nil {
		return View{}, err
	}
	w := store.Webhook{ID: store.NewWebhookID(), OrgID: p.Org.ID}
	if in.Source == nil || *in.Source == "" {
		return View{}, problem.Invalid("source is required: one of "+strings.Join(signature.Sources(), ", "),
			[]problem.FieldError{{Field: "source", Message: "one of " + strings.Join(signature.Sources(), ", ")}})
	}
	w.Source = *in.Source
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return View{}, problem.Invalid("name is required", []problem.FieldError{{Field: "name", Message: "is required"}})
	}
	if err := s.apply(ctx, p, &w, in); err != nil {
		return View{}, err
	}
	secret := ""
	if in.Secret != nil {
		secret = *in.Secret
	}
	if secret == "" {
		secret = signature.GenerateSecret(w.Source)
	}
	if _, err := signature.DecodeSecret(w.Source, secret); err != nil {
		return View{}, problem.Invalid("secret: "+err.Error(), []problem.FieldError{{Field: "secret", Message: err.Error()}})
	}
	sealed, err := s.cfg.Vault.Seal([]byte(secret), []byte(w.ID))
	if err != nil {
		return View{}, err
	}
	w.Secret = sealed
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if w, err = tx.CreateWebhook(ctx, w); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionCreate, "webhook", w.ID, map[string]any{"name": w.Name, "source": w.Source, "triggers": len(w.Triggers)}))
		return err
	})
	if err != nil {
		return View{}, err
	}
	v, err := s.view(ctx, p, w)
	v.Secret = secret
	return v, err
}

// Update applies the fields given in in.
func (s *Service) Update(ctx context.Context, p access.Principal, id string, in Input) (View, error) {
	w, err := s.load(ctx, p, access.Build, id)
	if err != nil {
		return View{}, err
	}
	if in.Source != nil && *in.Source != w.Source {
		return View{}, problem.Invalid("source cannot change (it decides the secret's form); create a new webhook instead",
			[]problem.FieldError{{Field: "source", Message: "cannot change"}})
	}
	if in.Secret != nil {
		return View{}, problem.Invalid("the secret changes only by rotating it", []problem.FieldError{{Field: "secret", Message: "rotate the secret instead"}})
	}
	if err := s.apply(ctx, p, &w, in); err != nil {
		return View{}, err
	}
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateWebhook(ctx, w); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionUpdate, "webhook", w.ID, map[string]any{"changed": changedFields(in), "triggers": len(w.Triggers)}))
		return err
	})
	if err != nil {
		return View{}, err
	}
	s.endpoints.invalidate(id)
	if w, err = s.cfg.Store.GetWebhook(ctx, p.Org.ID, id); err != nil {
		return View{}, err
	}
	return s.view(ctx, p, w)
}

func changedFields(in Input) []string {
	var out []string
	for name, set := range map[string]bool{"name": in.Name != nil, "options": in.Options != nil, "allowed_ips": in.AllowedIPs != nil,
		"rate_limit_per_second": in.RateLimitPerSecond != nil, "retry": in.Retry != nil, "triggers": in.Triggers != nil} {
		if set {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// apply validates the given fields of in onto w, listing every problem.
func (s *Service) apply(ctx context.Context, p access.Principal, w *store.Webhook, in Input) error {
	var fields []problem.FieldError
	bad := func(field, format string, args ...any) {
		fields = append(fields, problem.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if in.Name != nil {
		var err error
		if w.Name, err = naming.Name(*in.Name); err != nil {
			bad("name", "%s", err)
		}
	}
	if in.Options != nil {
		w.Options, _ = json.Marshal(in.Options)
	}
	opts, _ := parseOptions(w.Options)
	if _, err := signature.New(w.Source, opts.signature()); err != nil {
		bad("source", "%v", err)
	}
	if in.AllowedIPs != nil {
		w.AllowedIPs = *in.AllowedIPs
		if _, err := clientip.ParsePrefixes(w.AllowedIPs); err != nil {
			bad("allowed_ips", "%v", err)
		}
	}
	if in.RateLimitPerSecond != nil {
		w.RateLimitPerSecond = *in.RateLimitPerSecond
		if w.RateLimitPerSecond < 0 || w.RateLimitPerSecond > 1_000_000 {
			bad("rate_limit_per_second", "must be between 0 (the default, %d) and 1000000, got %g", DefaultRateLimit, w.RateLimitPerSecond)
		}
	}
	if in.Retry != nil {
		if err := in.Retry.WithDefaults().Validate(); err != nil {
			bad("retry", "%v", err)
		}
		w.Retry, _ = json.Marshal(in.Retry)
	}
	if in.Triggers != nil {
		triggers, problems, err := s.triggers(ctx, p, w.Triggers, *in.Triggers)
		if err != nil {
			return err
		}
		fields = append(fields, problems...)
		w.Triggers = triggers
	}
	if len(fields) > 0 {
		msgs := make([]string, len(fields))
		for i, f := range fields {
			msgs[i] = f.Field + ": " + f.Message
		}
		return problem.Invalid("the webhook is not valid: "+strings.Join(msgs, "; "), fields)
	}
	return nil
}

// triggers checks the triggers p sends and merges them with the saved
// ones. The list replaces the triggers p can see; those p cannot see (they
// run an integration restricted to teams p is not in) are kept as they
// are. A trigger sent back unchanged keeps its id and the member it runs
// as; a new or changed one runs as p, who must be allowed to run its
// action.
func (s *Service) triggers(ctx context.Context, p access.Principal, saved []store.Trigger, in []TriggerInput) ([]store.Trigger, []problem.FieldError, error) {
	var kept, visible []store.Trigger
	for _, tr := range saved {
		var spec trigger.Spec
		_ = json.Unmarshal(tr.Spec, &spec)
		ok, err := s.sees(ctx, p, spec)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			visible = append(visible, tr)
		} else {
			kept = append(kept, tr)
		}
	}
	var fields []problem.FieldError
	out := kept
	for i, ti := range in {
		field := fmt.Sprintf("triggers[%d]", i)
		b, _ := json.Marshal(ti.Spec)
		if prev, ok := unchanged(visible, ti.ID, b); ok {
			out = append(out, prev)
			continue
		}
		if _, err := trigger.Compile("", ti.Spec); err != nil {
			fields = append(fields, problem.FieldError{Field: field, Message: err.Error()})
			continue
		}
		msg, err := s.checkTarget(ctx, p, ti.Spec)
		if err != nil {
			return nil, nil, err
		}
		if msg != "" {
			fields = append(fields, problem.FieldError{Field: field, Message: msg})
			continue
		}
		out = append(out, store.Trigger{ID: store.NewTriggerID(), Spec: b, CreatedBy: p.User.ID})
	}
	return out, fields, nil
}

// unchanged finds the saved trigger a sent one repeats: the one it names
// by id, or else one with the same spec.
func unchanged(saved []store.Trigger, id string, spec []byte) (store.Trigger, bool) {
	for _, tr := range saved {
		if (id == "" || tr.ID == id) && jsonEqual(tr.Spec, spec) {
			return tr, true
		}
	}
	return store.Trigger{}, false
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// checkTarget says why p may not make a trigger of spec, or "": p runs
// what the trigger runs, so p must be allowed to run actions and to use
// the integration, and the action must exist now (it may still be
// undeployed, which the runs will then report).
func (s *Service) checkTarget(ctx context.Context, p access.Principal, spec trigger.Spec) (string, error) {
	if err := p.May(access.Run); err != nil {
		return err.Error(), nil
	}
	if spec.Integration == "" {
		return "", nil
	}
	in, err := s.cfg.Rules.Integration(ctx, p, spec.Integration)
	if pe, ok := problem.As(err); ok {
		return pe.Detail, nil
	}
	if err != nil {
		return "", err
	}
	t, err := s.cfg.Loader.Load(ctx, p.Org.ID, in.ID, spec.Environment, executor.VersionLatest)
	if pe, ok := problem.As(err); ok {
		return pe.Detail, nil
	}
	if err != nil {
		return "", err
	}
	if _, ok := t.Definition.Action(spec.Action); !ok {
		keys := make([]string, len(t.Definition.Actions))
		for i, a := range t.Definition.Actions {
			keys[i] = a.Key
		}
		return fmt.Sprintf("integration %q has no action %q; its actions are: %s", t.Integration.Name, spec.Action, strings.Join(keys, ", ")), nil
	}
	return "", nil
}

// RotateInput is the body of rotate-secret; both fields are optional.
type RotateInput struct {
	Secret      string           `json:"secret"`
	GracePeriod trigger.Duration `json:"grace_period"` // default 24h
}

// DefaultGracePeriod is how long the old secret keeps verifying.
const DefaultGracePeriod = 24 * time.Hour

// Rotate installs a new secret, shown once; the current one keeps
// verifying for the grace period.
func (s *Service) Rotate(ctx context.Context, p access.Principal, id string, in RotateInput) (View, error) {
	w, err := s.load(ctx, p, access.Build, id)
	if err != nil {
		return View{}, err
	}
	grace := time.Duration(in.GracePeriod)
	if grace == 0 {
		grace = DefaultGracePeriod
	}
	if grace < 0 || grace > 30*24*time.Hour {
		return View{}, problem.Invalid(fmt.Sprintf("grace_period must be between 0s and 720h, got %s", grace),
			[]problem.FieldError{{Field: "grace_period", Message: "must be between 0s and 720h"}})
	}
	secret := in.Secret
	if secret == "" {
		secret = signature.GenerateSecret(w.Source)
	}
	if _, err := signature.DecodeSecret(w.Source, secret); err != nil {
		return View{}, problem.Invalid("secret: "+err.Error(), []problem.FieldError{{Field: "secret", Message: err.Error()}})
	}
	sealed, err := s.cfg.Vault.Seal([]byte(secret), []byte(w.ID))
	if err != nil {
		return View{}, err
	}
	// The old sealed value moves column as is: it is bound to the webhook id.
	ends := time.Now().Add(grace)
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.RotateWebhookSecret(ctx, p.Org.ID, id, sealed, w.Secret, ends); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionRotate, "webhook", w.ID, map[string]any{"grace_period": grace.String()}))
		return err
	})
	if err != nil {
		return View{}, err
	}
	s.endpoints.invalidate(id)
	w.PreviousSecret, w.PreviousExpiresAt = w.Secret, ends
	v, err := s.view(ctx, p, w)
	v.Secret = secret
	return v, err
}

// Delete removes a webhook, its events and runs; its URL stops accepting
// events at once.
func (s *Service) Delete(ctx context.Context, p access.Principal, id string) error {
	w, err := s.load(ctx, p, access.Build, id)
	if err != nil {
		return err
	}
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteWebhook(ctx, p.Org.ID, w.ID); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionDelete, "webhook", w.ID, map[string]any{"name": w.Name}))
		return err
	})
	if err != nil {
		return err
	}
	s.endpoints.invalidate(id)
	return nil
}

// Preview evaluates a trigger, unsaved, against the last event the webhook
// received, with the compiler the runs use, and says in words what would
// happen.
func (s *Service) Preview(ctx context.Context, p access.Principal, webhookID string, spec trigger.Spec) (string, error) {
	w, err := s.load(ctx, p, access.Read, webhookID)
	if err != nil {
		return "", err
	}
	events, err := s.cfg.Store.ListEvents(ctx, p.Org.ID, w.ID, store.EventFilter{Limit: 1})
	if err != nil {
		return "", err
	}
	if len(events) == 0 {
		return "No event received yet: send a test event, then check again.", nil
	}
	e, err := s.cfg.Store.GetEvent(ctx, p.Org.ID, events[0].ID)
	if err != nil {
		return "", err
	}
	var hdr http.Header
	_ = json.Unmarshal([]byte(e.Headers), &hdr)
	env := trigger.Env(trigger.Webhook{ID: w.ID, Name: w.Name, Source: w.Source}, hdr, e.Body)
	tr, err := trigger.Compile("", spec)
	if err != nil {
		return "Not valid: " + err.Error(), nil
	}
	ok, err := tr.Match(env)
	if err != nil {
		return "The condition fails on event " + e.ID + ": " + err.Error(), nil
	}
	if !ok {
		return "Event " + e.ID + " does not match the condition; this trigger would not run for it.", nil
	}
	params, err := tr.Params(env)
	if err != nil {
		return "Event " + e.ID + " matches, but a parameter fails: " + err.Error(), nil
	}
	b, _ := json.MarshalIndent(params, "", "  ")
	return "Event " + e.ID + " matches. The action would get these params:\n" + string(b), nil
}
