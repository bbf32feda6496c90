package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/jobs"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhook/signature"
	"github.com/plugboard/plugboard/internal/webhook/trigger"
)

// Input is the body of POST /v1/webhooks. On PATCH every field is optional
// and only the given ones change (the secret changes only by rotation).
type Input struct {
	Name               *string            `json:"name"`
	Source             *string            `json:"source"`
	Secret             *string            `json:"secret"`
	Options            *Options           `json:"options"`
	AllowedIPs         *[]string          `json:"allowed_ips"`
	RateLimitPerSecond *float64           `json:"rate_limit_per_second"`
	Retry              *jobs.RetryPolicy  `json:"retry"`
	Triggers           *[]json.RawMessage `json:"triggers"`
}

// View is a webhook as the API shows it. Secret is set only in the answers
// that create it (create and rotate-secret): it is never shown again.
type View struct {
	ID                 string           `json:"id"`
	URL                string           `json:"url"`
	Name               string           `json:"name"`
	Source             string           `json:"source"`
	Secret             string           `json:"secret,omitempty"`
	PreviousSecretEnds time.Time        `json:"previous_secret_expires_at,omitzero"`
	Options            Options          `json:"options"`
	AllowedIPs         []string         `json:"allowed_ips"`
	RateLimitPerSecond float64          `json:"rate_limit_per_second"`
	Retry              jobs.RetryPolicy `json:"retry"`
	Triggers           []TriggerView    `json:"triggers"`
	CreatedAt          time.Time        `json:"created_at"`
	UpdatedAt          time.Time        `json:"updated_at"`
}

// TriggerView is a saved trigger with its id.
type TriggerView struct {
	ID string `json:"id"`
	trigger.Spec
}

// View renders w.
func (s *Service) View(w store.Webhook) View {
	opts, _ := parseOptions(w.Options)
	policy, _ := jobs.ParseRetryPolicy(w.Retry)
	v := View{ID: w.ID, URL: s.URL(w.ID), Name: w.Name, Source: w.Source, Options: opts, AllowedIPs: w.AllowedIPs,
		RateLimitPerSecond: w.RateLimitPerSecond, Retry: policy, Triggers: []TriggerView{}, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	if v.RateLimitPerSecond <= 0 {
		v.RateLimitPerSecond = DefaultRateLimit
	}
	if w.PreviousSecret != "" && time.Now().Before(w.PreviousExpiresAt) {
		v.PreviousSecretEnds = w.PreviousExpiresAt
	}
	for _, tr := range w.Triggers {
		tv := TriggerView{ID: tr.ID}
		_ = json.Unmarshal(tr.Spec, &tv.Spec)
		v.Triggers = append(v.Triggers, tv)
	}
	return v
}

// Create validates in and stores a new webhook; the answer carries the
// secret once.
func (s *Service) Create(ctx context.Context, orgID string, in Input) (View, error) {
	w := store.Webhook{ID: store.NewWebhookID(), OrgID: orgID}
	if in.Source == nil || *in.Source == "" {
		return View{}, problem.BadRequest("source is required: one of %s", strings.Join(signature.Sources(), ", "))
	}
	w.Source = *in.Source
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return View{}, problem.BadRequest("name is required")
	}
	if err := s.apply(ctx, orgID, &w, in); err != nil {
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
		return View{}, problem.BadRequest("secret: %v", err)
	}
	sealed, err := s.cfg.Vault.Seal([]byte(secret), []byte(w.ID))
	if err != nil {
		return View{}, err
	}
	w.Secret = sealed
	w, err = s.cfg.Store.CreateWebhook(ctx, w)
	if err != nil {
		return View{}, err
	}
	v := s.View(w)
	v.Secret = secret
	return v, nil
}

// Update applies the fields given in in.
func (s *Service) Update(ctx context.Context, orgID, id string, in Input) (View, error) {
	w, err := s.cfg.Store.GetWebhook(ctx, orgID, id)
	if err != nil {
		return View{}, err
	}
	if in.Source != nil && *in.Source != w.Source {
		return View{}, problem.BadRequest("source cannot change (it decides the secret's form); create a new webhook instead")
	}
	if in.Secret != nil {
		return View{}, problem.BadRequest("the secret changes only through POST /v1/webhooks/%s/rotate-secret", id)
	}
	if err := s.apply(ctx, orgID, &w, in); err != nil {
		return View{}, err
	}
	if err := s.cfg.Store.UpdateWebhook(ctx, w); err != nil {
		return View{}, err
	}
	s.endpoints.invalidate(id)
	w, err = s.cfg.Store.GetWebhook(ctx, orgID, id)
	return s.View(w), err
}

// apply validates the given fields of in onto w, listing every problem.
func (s *Service) apply(ctx context.Context, orgID string, w *store.Webhook, in Input) error {
	var fields []problem.FieldError
	bad := func(field, format string, args ...any) {
		fields = append(fields, problem.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if in.Name != nil {
		w.Name = strings.TrimSpace(*in.Name)
		if w.Name == "" {
			bad("name", "must not be empty")
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
		if _, err := parsePrefixes(w.AllowedIPs); err != nil {
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
		w.Triggers = w.Triggers[:0]
		for i, raw := range *in.Triggers {
			field := fmt.Sprintf("triggers[%d]", i)
			var spec trigger.Spec
			dec := json.NewDecoder(strings.NewReader(string(raw)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&spec); err != nil {
				bad(field, "%v", err)
				continue
			}
			if _, err := trigger.Compile("", spec); err != nil {
				bad(field, "%v", err)
				continue
			}
			if err := s.checkTarget(ctx, orgID, spec); err != nil {
				bad(field, "%v", err)
				continue
			}
			b, _ := json.Marshal(spec)
			w.Triggers = append(w.Triggers, store.Trigger{ID: store.NewTriggerID(), Spec: b})
		}
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

// checkTarget makes sure the action a trigger names exists now; it may
// still be undeployed, which its runs will then report.
func (s *Service) checkTarget(ctx context.Context, orgID string, spec trigger.Spec) error {
	if spec.Integration == "" || s.cfg.Executor == nil {
		return nil
	}
	t, err := s.cfg.Executor.Load(ctx, orgID, spec.Integration, spec.Environment, executor.VersionLatest)
	if err != nil {
		var p *problem.Error
		if errors.As(err, &p) {
			return errors.New(p.Detail)
		}
		return err
	}
	if _, ok := t.Definition.Action(spec.Action); !ok {
		keys := make([]string, len(t.Definition.Actions))
		for i, a := range t.Definition.Actions {
			keys[i] = a.Key
		}
		return fmt.Errorf("integration %q has no action %q; its actions are: %s", t.Integration.Name, spec.Action, strings.Join(keys, ", "))
	}
	return nil
}

// RotateInput is the body of rotate-secret; both fields are optional.
type RotateInput struct {
	Secret      string        `json:"secret"`
	GracePeriod jobs.Duration `json:"grace_period"` // default 24h
}

// DefaultGracePeriod is how long the old secret keeps verifying.
const DefaultGracePeriod = 24 * time.Hour

// Rotate installs a new secret; the current one keeps verifying for the
// grace period.
func (s *Service) Rotate(ctx context.Context, orgID, id string, in RotateInput) (View, error) {
	w, err := s.cfg.Store.GetWebhook(ctx, orgID, id)
	if err != nil {
		return View{}, err
	}
	grace := time.Duration(in.GracePeriod)
	if grace == 0 {
		grace = DefaultGracePeriod
	}
	if grace < 0 || grace > 30*24*time.Hour {
		return View{}, problem.BadRequest("grace_period must be between 0s and 720h, got %s", grace)
	}
	secret := in.Secret
	if secret == "" {
		secret = signature.GenerateSecret(w.Source)
	}
	if _, err := signature.DecodeSecret(w.Source, secret); err != nil {
		return View{}, problem.BadRequest("secret: %v", err)
	}
	sealed, err := s.cfg.Vault.Seal([]byte(secret), []byte(w.ID))
	if err != nil {
		return View{}, err
	}
	// The old sealed value moves column as is: it is bound to the webhook id.
	ends := time.Now().Add(grace)
	if err := s.cfg.Store.RotateWebhookSecret(ctx, orgID, id, sealed, w.Secret, ends); err != nil {
		return View{}, err
	}
	s.endpoints.invalidate(id)
	w.PreviousSecret, w.PreviousExpiresAt = w.Secret, ends
	v := s.View(w)
	v.Secret = secret
	return v, nil
}

// Delete removes a webhook, its events and runs.
func (s *Service) Delete(ctx context.Context, orgID, id string) error {
	if err := s.cfg.Store.DeleteWebhook(ctx, orgID, id); err != nil {
		return err
	}
	s.endpoints.invalidate(id)
	return nil
}
