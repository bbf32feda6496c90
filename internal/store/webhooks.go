package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// Webhook is an inbound endpoint. Its ID is the secret token of its public
// URL, so it is random rather than time-ordered.
type Webhook struct {
	ID                 string
	OrgID              string
	Name               string
	Source             string
	Options            json.RawMessage // preset options (hmac header, tolerance…)
	Secret             string          // sealed by the vault, bound to ID
	PreviousSecret     string          // sealed; "" when none
	PreviousExpiresAt  time.Time       // when PreviousSecret stops verifying
	AllowedIPs         []string        // CIDRs; empty = any
	RateLimitPerSecond float64         // 0 = the default
	Retry              json.RawMessage // retry policy of its trigger runs
	Triggers           []Trigger
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Trigger is one rule of a webhook: Spec is the JSON the user saved (its
// expressions as source text).
type Trigger struct {
	ID        string          `json:"id"`
	WebhookID string          `json:"-"`
	Spec      json.RawMessage `json:"spec"`
}

// NewWebhookID returns a fresh URL token: 160 random bits.
func NewWebhookID() string { return id.Random("wh", 20) }

// NewTriggerID returns an id for a trigger.
func NewTriggerID() string { return id.New("trg") }

const webhookCols = `id, org_id, name, source, options, secret, previous_secret, previous_expires_at, allowed_ips, rate_limit_per_second, retry, created_at, updated_at`

func scanWebhook(row interface{ Scan(...any) error }) (Webhook, error) {
	var w Webhook
	var opts, ips, retry string
	var prevExp sql.NullInt64
	var c, u int64
	if err := row.Scan(&w.ID, &w.OrgID, &w.Name, &w.Source, &opts, &w.Secret, &w.PreviousSecret, &prevExp, &ips, &w.RateLimitPerSecond, &retry, &c, &u); err != nil {
		return Webhook{}, mapErr(err)
	}
	w.Options, w.Retry = json.RawMessage(opts), json.RawMessage(retry)
	if err := json.Unmarshal([]byte(ips), &w.AllowedIPs); err != nil {
		return Webhook{}, fmt.Errorf("webhook %s: allowed_ips: %w", w.ID, err)
	}
	w.PreviousExpiresAt, w.CreatedAt, w.UpdatedAt = nullMS(prevExp), ms(c), ms(u)
	return w, nil
}

func jsonText(raw json.RawMessage, empty string) string {
	if len(raw) == 0 {
		return empty
	}
	return string(raw)
}

// CreateWebhook stores w (ID from NewWebhookID, Secret sealed) and its
// triggers.
func (s *Store) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	t := time.Now().UTC().Truncate(time.Millisecond)
	w.CreatedAt, w.UpdatedAt = t, t
	if w.AllowedIPs == nil {
		w.AllowedIPs = []string{}
	}
	ips, _ := json.Marshal(w.AllowedIPs)
	err := s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, s.q(`INSERT INTO webhooks (`+webhookCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			w.ID, w.OrgID, w.Name, w.Source, jsonText(w.Options, "{}"), w.Secret, w.PreviousSecret, toNullMS(w.PreviousExpiresAt),
			string(ips), w.RateLimitPerSecond, jsonText(w.Retry, "{}"), t.UnixMilli(), t.UnixMilli()); err != nil {
			return mapErr(err)
		}
		return tx.replaceTriggers(ctx, w.ID, w.Triggers)
	})
	if err != nil {
		return Webhook{}, fmt.Errorf("create webhook: %w", err)
	}
	return w, nil
}

// UpdateWebhook saves every field of w but the secrets, and replaces its
// triggers.
func (s *Store) UpdateWebhook(ctx context.Context, w Webhook) error {
	if w.AllowedIPs == nil {
		w.AllowedIPs = []string{}
	}
	ips, _ := json.Marshal(w.AllowedIPs)
	return s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, s.q(`UPDATE webhooks SET name = ?, options = ?, allowed_ips = ?, rate_limit_per_second = ?, retry = ?, updated_at = ?
			WHERE org_id = ? AND id = ?`),
			w.Name, jsonText(w.Options, "{}"), string(ips), w.RateLimitPerSecond, jsonText(w.Retry, "{}"), now(), w.OrgID, w.ID)
		if err := affected(res, err); err != nil {
			return err
		}
		return tx.replaceTriggers(ctx, w.ID, w.Triggers)
	})
}

// RotateWebhookSecret installs a new sealed secret and keeps the old one
// verifying until previousExpiresAt.
func (s *Store) RotateWebhookSecret(ctx context.Context, orgID, webhookID, secret, previous string, previousExpiresAt time.Time) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE webhooks SET secret = ?, previous_secret = ?, previous_expires_at = ?, updated_at = ? WHERE org_id = ? AND id = ?`),
		secret, previous, toNullMS(previousExpiresAt), now(), orgID, webhookID)
	return affected(res, err)
}

func (t *Tx) replaceTriggers(ctx context.Context, webhookID string, triggers []Trigger) error {
	if _, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM webhook_triggers WHERE webhook_id = ?`), webhookID); err != nil {
		return err
	}
	for i, tr := range triggers {
		if _, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO webhook_triggers (id, webhook_id, position, spec, created_at) VALUES (?, ?, ?, ?, ?)`),
			tr.ID, webhookID, i, string(tr.Spec), now()); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// GetWebhook loads an organization's webhook with its triggers.
func (s *Store) GetWebhook(ctx context.Context, orgID, webhookID string) (Webhook, error) {
	w, err := scanWebhook(s.r.QueryRowContext(ctx, s.q(`SELECT `+webhookCols+` FROM webhooks WHERE org_id = ? AND id = ?`), orgID, webhookID))
	if err != nil {
		return w, err
	}
	w.Triggers, err = s.triggers(ctx, w.ID)
	return w, err
}

// GetWebhookForIngest loads a webhook by its URL token alone: the public
// ingest path knows no organization until it finds the webhook.
func (s *Store) GetWebhookForIngest(ctx context.Context, webhookID string) (Webhook, error) {
	w, err := scanWebhook(s.r.QueryRowContext(ctx, s.q(`SELECT `+webhookCols+` FROM webhooks WHERE id = ?`), webhookID))
	if err != nil {
		return w, err
	}
	w.Triggers, err = s.triggers(ctx, w.ID)
	return w, err
}

func (s *Store) triggers(ctx context.Context, webhookID string) ([]Trigger, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, spec FROM webhook_triggers WHERE webhook_id = ? ORDER BY position`), webhookID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Trigger{}
	for rows.Next() {
		var tr Trigger
		var spec string
		if err := rows.Scan(&tr.ID, &spec); err != nil {
			return nil, err
		}
		tr.WebhookID, tr.Spec = webhookID, json.RawMessage(spec)
		out = append(out, tr)
	}
	return out, rows.Err()
}

// ListWebhooks lists an organization's webhooks, oldest first, with their
// triggers.
func (s *Store) ListWebhooks(ctx context.Context, orgID string) ([]Webhook, error) {
	out, err := queryAll(ctx, s.r, s.q(`SELECT `+webhookCols+` FROM webhooks WHERE org_id = ? ORDER BY created_at, id`), scanWebhook, orgID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Triggers, err = s.triggers(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeleteWebhook removes a webhook with its triggers, events and runs.
func (s *Store) DeleteWebhook(ctx context.Context, orgID, webhookID string) error {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM webhooks WHERE org_id = ? AND id = ?`), orgID, webhookID)
	return affected(res, err)
}
