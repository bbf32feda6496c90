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
// expressions as source text). Its runs act as CreatedBy, the member who
// made it.
type Trigger struct {
	ID        string          `json:"id"`
	WebhookID string          `json:"-"`
	Spec      json.RawMessage `json:"spec"`
	CreatedBy string          `json:"created_by"`
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

// CreateWebhook stores w in a transaction of its own.
func (s *Store) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	return inTx(ctx, s, func(tx *Tx) (Webhook, error) { return tx.CreateWebhook(ctx, w) })
}

// CreateWebhook stores w (ID from NewWebhookID, Secret sealed) and its
// triggers.
func (t *Tx) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	t.touch()
	at := time.Now().UTC().Truncate(time.Millisecond)
	w.CreatedAt, w.UpdatedAt = at, at
	if w.AllowedIPs == nil {
		w.AllowedIPs = []string{}
	}
	ips, _ := json.Marshal(w.AllowedIPs)
	if _, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO webhooks (`+webhookCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		w.ID, w.OrgID, w.Name, w.Source, jsonText(w.Options, "{}"), w.Secret, w.PreviousSecret, toNullMS(w.PreviousExpiresAt),
		string(ips), w.RateLimitPerSecond, jsonText(w.Retry, "{}"), at.UnixMilli(), at.UnixMilli()); err != nil {
		return Webhook{}, fmt.Errorf("create webhook: %w", mapErr(err))
	}
	if err := t.replaceTriggers(ctx, w.ID, w.Triggers); err != nil {
		return Webhook{}, fmt.Errorf("create webhook: %w", err)
	}
	return w, nil
}

// UpdateWebhook saves w in a transaction of its own.
func (s *Store) UpdateWebhook(ctx context.Context, w Webhook) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.UpdateWebhook(ctx, w) })
}

// UpdateWebhook saves every field of w but the secrets, and replaces its
// triggers.
func (t *Tx) UpdateWebhook(ctx context.Context, w Webhook) error {
	t.touch()
	if w.AllowedIPs == nil {
		w.AllowedIPs = []string{}
	}
	ips, _ := json.Marshal(w.AllowedIPs)
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE webhooks SET name = ?, options = ?, allowed_ips = ?, rate_limit_per_second = ?, retry = ?, updated_at = ?
		WHERE org_id = ? AND id = ?`),
		w.Name, jsonText(w.Options, "{}"), string(ips), w.RateLimitPerSecond, jsonText(w.Retry, "{}"), now(), w.OrgID, w.ID)
	if err := affected(res, err); err != nil {
		return err
	}
	return t.replaceTriggers(ctx, w.ID, w.Triggers)
}

// RotateWebhookSecret installs a new secret in a transaction of its own.
func (s *Store) RotateWebhookSecret(ctx context.Context, orgID, webhookID, secret, previous string, previousExpiresAt time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		return tx.RotateWebhookSecret(ctx, orgID, webhookID, secret, previous, previousExpiresAt)
	})
}

// RotateWebhookSecret installs a new sealed secret and keeps the old one
// verifying until previousExpiresAt.
func (t *Tx) RotateWebhookSecret(ctx context.Context, orgID, webhookID, secret, previous string, previousExpiresAt time.Time) error {
	t.touch()
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE webhooks SET secret = ?, previous_secret = ?, previous_expires_at = ?, updated_at = ? WHERE org_id = ? AND id = ?`),
		secret, previous, toNullMS(previousExpiresAt), now(), orgID, webhookID)
	return affected(res, err)
}

func (t *Tx) replaceTriggers(ctx context.Context, webhookID string, triggers []Trigger) error {
	t.touch()
	if _, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM webhook_triggers WHERE webhook_id = ?`), webhookID); err != nil {
		return err
	}
	for i, tr := range triggers {
		if _, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO webhook_triggers (id, webhook_id, position, spec, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
			tr.ID, webhookID, i, string(tr.Spec), tr.CreatedBy, now()); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// GetWebhook loads an organization's webhook with its triggers.
func (s *Store) GetWebhook(ctx context.Context, orgID, webhookID string) (Webhook, error) {
	w, err := scanWebhook(s.readRow(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE org_id = ? AND id = ?`, orgID, webhookID))
	if err != nil {
		return w, err
	}
	w.Triggers, err = s.triggers(ctx, w.ID)
	return w, err
}

// GetWebhookForIngest loads a webhook by its URL token alone: the public
// ingest path knows no organization until it finds the webhook.
func (s *Store) GetWebhookForIngest(ctx context.Context, webhookID string) (Webhook, error) {
	w, err := scanWebhook(s.readRow(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE id = ?`, webhookID))
	if err != nil {
		return w, err
	}
	w.Triggers, err = s.triggers(ctx, w.ID)
	return w, err
}

// WebhookUpdatedAt is when a webhook (or its triggers) last changed: what
// the trigger runner checks its compiled triggers against on every run,
// without reading them. It is memoized (see cache.go): on PostgreSQL it
// was a round trip for every batch of runs.
func (s *Store) WebhookUpdatedAt(ctx context.Context, webhookID string) (time.Time, error) {
	gen, memoized := s.memoGen()
	if memoized {
		if at, ok := s.memos.webhooks.get(webhookID, gen); ok {
			return at, nil
		}
	}
	var at int64
	if err := s.readRow(ctx, `SELECT updated_at FROM webhooks WHERE id = ?`, webhookID).Scan(&at); err != nil {
		return time.Time{}, mapErr(err)
	}
	if memoized {
		s.memos.webhooks.put(webhookID, gen, ms(at))
	}
	return ms(at), nil
}

func (s *Store) triggers(ctx context.Context, webhookID string) ([]Trigger, error) {
	return queryAll(ctx, s.r, s.q(`SELECT id, spec, created_by FROM webhook_triggers WHERE webhook_id = ? ORDER BY position`),
		func(row rowScanner) (Trigger, error) {
			tr := Trigger{WebhookID: webhookID}
			var spec string
			err := row.Scan(&tr.ID, &spec, &tr.CreatedBy)
			tr.Spec = json.RawMessage(spec)
			return tr, err
		}, webhookID)
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

// DeleteWebhook removes a webhook in a transaction of its own.
func (s *Store) DeleteWebhook(ctx context.Context, orgID, webhookID string) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.DeleteWebhook(ctx, orgID, webhookID) })
}

// DeleteWebhook removes a webhook with its triggers, events and runs (the
// runs' attempts go with them). On PostgreSQL the events and runs have no
// foreign key (migration 0019); the webhook's row goes first, which waits
// for a batch of events that locked it, and the deletes after it see what
// that batch stored.
func (t *Tx) DeleteWebhook(ctx context.Context, orgID, webhookID string) error {
	t.touch()
	res, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM webhooks WHERE org_id = ? AND id = ?`), orgID, webhookID)
	if err := affected(res, err); err != nil || t.s.engine != Postgres {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM trigger_runs WHERE webhook_id = $1`, webhookID); err != nil {
		return fmt.Errorf("delete webhook runs: %w", mapErr(err))
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM webhook_events WHERE webhook_id = $1`, webhookID); err != nil {
		return fmt.Errorf("delete webhook events: %w", mapErr(err))
	}
	return nil
}
