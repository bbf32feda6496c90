package client

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// WebhookInput creates or (with only the fields to change) updates a
// webhook. Triggers are TriggerSpec values or raw JSON.
type WebhookInput struct {
	Name               string         `json:"name,omitempty"`
	Source             string         `json:"source,omitempty"`
	Secret             string         `json:"secret,omitempty"`
	Options            map[string]any `json:"options,omitempty"`
	AllowedIPs         []string       `json:"allowed_ips,omitempty"`
	RateLimitPerSecond float64        `json:"rate_limit_per_second,omitempty"`
	Retry              *RetryPolicy   `json:"retry,omitempty"`
	Triggers           []TriggerSpec  `json:"triggers,omitempty"`
}

// RetryPolicy is how failed trigger runs are retried; durations are text
// such as "30s".
type RetryPolicy struct {
	MaxAttempts  int    `json:"max_attempts,omitempty"`
	InitialDelay string `json:"initial_delay,omitempty"`
	MaxDelay     string `json:"max_delay,omitempty"`
}

// TriggerSpec is a trigger: a condition and an action with mapped params,
// or a URL to forward the event to.
type TriggerSpec struct {
	ID          string         `json:"id,omitempty"`
	When        string         `json:"when,omitempty"`
	Integration string         `json:"integration,omitempty"`
	Action      string         `json:"action,omitempty"`
	Environment string         `json:"environment,omitempty"`
	Params      map[string]any `json:"params,omitempty"`
	URL         string         `json:"url,omitempty"`
}

// Webhook is a webhook as the API shows it. Secret is set only in the
// answers to create and rotate-secret.
type Webhook struct {
	ID                 string          `json:"id"`
	URL                string          `json:"url"`
	Name               string          `json:"name"`
	Source             string          `json:"source"`
	Secret             string          `json:"secret,omitempty"`
	PreviousSecretEnds time.Time       `json:"previous_secret_expires_at"`
	Options            json.RawMessage `json:"options"`
	AllowedIPs         []string        `json:"allowed_ips"`
	RateLimitPerSecond float64         `json:"rate_limit_per_second"`
	Retry              RetryPolicy     `json:"retry"`
	Triggers           []TriggerSpec   `json:"triggers"`
	CreatedAt          time.Time       `json:"created_at"`
	UpdatedAt          time.Time       `json:"updated_at"`
}

// Event is a received webhook event with its trigger runs.
type Event struct {
	ID              string            `json:"id"`
	WebhookID       string            `json:"webhook_id"`
	ProviderEventID string            `json:"provider_event_id"`
	Status          string            `json:"status"`
	ReceivedAt      time.Time         `json:"received_at"`
	SourceIP        string            `json:"source_ip"`
	Headers         map[string]string `json:"headers"`
	Body            json.RawMessage   `json:"body"`
	Runs            []TriggerRun      `json:"runs"`
}

// TriggerRun is one trigger's execution for an event.
type TriggerRun struct {
	ID         string           `json:"id"`
	TriggerID  string           `json:"trigger_id"`
	Status     string           `json:"status"` // pending, retrying, succeeded, dead
	Attempts   int              `json:"attempts"`
	Replays    int              `json:"replays"`
	NextAt     time.Time        `json:"next_attempt_at"`
	LastStatus int              `json:"last_status"`
	LastError  string           `json:"last_error"`
	History    []TriggerAttempt `json:"attempt_history"`
}

// TriggerAttempt is one try of a run.
type TriggerAttempt struct {
	Number     int       `json:"number"`
	Status     string    `json:"status"`
	HTTPStatus int       `json:"http_status"`
	DurationMS float64   `json:"duration_ms"`
	Error      string    `json:"error"`
	LogID      string    `json:"log_id"`
	StartedAt  time.Time `json:"started_at"`
}

// EventPage is a page of events; pass NextCursor as Cursor for the next.
type EventPage struct {
	Events     []Event `json:"events"`
	NextCursor string  `json:"next_cursor"`
}

// EventQuery filters ListEvents. Cursor pages back to older events; After
// returns events newer than that id, oldest first.
type EventQuery struct {
	Status, Trigger string
	Since, Until    time.Time
	Cursor, After   string
	Limit           int
}

// WebhookTest is the ingest answer to a signed sample event.
type WebhookTest struct {
	Status  int             `json:"status"`
	EventID string          `json:"event_id"`
	Body    json.RawMessage `json:"body"`
	Sent    json.RawMessage `json:"sent"`
}

// Replay says which trigger runs were queued again.
type Replay struct {
	Replayed int      `json:"replayed"`
	Runs     []string `json:"runs"`
}

// CreateWebhook creates a webhook; the answer holds its URL and secret.
func (c *Client) CreateWebhook(ctx context.Context, in WebhookInput) (*Webhook, error) {
	var out Webhook
	return &out, c.Do(ctx, "POST", "/v1/webhooks", in, &out)
}

// ListWebhooks lists the organization's webhooks.
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	var out struct {
		Webhooks []Webhook `json:"webhooks"`
	}
	return out.Webhooks, c.Do(ctx, "GET", "/v1/webhooks", nil, &out)
}

// GetWebhook loads a webhook.
func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	var out Webhook
	return &out, c.Do(ctx, "GET", path("/v1/webhooks/%s", id), nil, &out)
}

// UpdateWebhook changes the given fields (a map or WebhookInput).
func (c *Client) UpdateWebhook(ctx context.Context, id string, patch any) (*Webhook, error) {
	var out Webhook
	return &out, c.Do(ctx, "PATCH", path("/v1/webhooks/%s", id), patch, &out)
}

// DeleteWebhook removes a webhook with its events.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.Do(ctx, "DELETE", path("/v1/webhooks/%s", id), nil, nil)
}

// RotateWebhookSecret installs a new secret (generated when empty); the old
// one keeps verifying for grace (24h when zero).
func (c *Client) RotateWebhookSecret(ctx context.Context, id, secret string, grace time.Duration) (*Webhook, error) {
	in := map[string]any{}
	if secret != "" {
		in["secret"] = secret
	}
	if grace != 0 {
		in["grace_period"] = grace.String()
	}
	var out Webhook
	return &out, c.Do(ctx, "POST", path("/v1/webhooks/%s/rotate-secret", id), in, &out)
}

// TestWebhook sends a signed sample event (or body) through ingest.
func (c *Client) TestWebhook(ctx context.Context, id string, body json.RawMessage) (*WebhookTest, error) {
	in := map[string]any{}
	if len(body) > 0 {
		in["body"] = body
	}
	var out WebhookTest
	return &out, c.Do(ctx, "POST", path("/v1/webhooks/%s/test", id), in, &out)
}

// ListEvents lists a webhook's events.
func (c *Client) ListEvents(ctx context.Context, webhookID string, q EventQuery) (*EventPage, error) {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("status", q.Status)
	set("trigger", q.Trigger)
	set("cursor", q.Cursor)
	set("after", q.After)
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	p := path("/v1/webhooks/%s/events", webhookID)
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	var out EventPage
	return &out, c.Do(ctx, "GET", p, nil, &out)
}

// GetEvent loads an event with its body, runs and attempts.
func (c *Client) GetEvent(ctx context.Context, id string) (*Event, error) {
	var out Event
	return &out, c.Do(ctx, "GET", path("/v1/events/%s", id), nil, &out)
}

// ReplayEvent queues an event's finished trigger runs again.
func (c *Client) ReplayEvent(ctx context.Context, id string) (*Replay, error) {
	var out Replay
	return &out, c.Do(ctx, "POST", path("/v1/events/%s/replay", id), nil, &out)
}

// ReplayWebhook queues again a webhook's runs in status ("dead" when empty).
func (c *Client) ReplayWebhook(ctx context.Context, webhookID, status string) (*Replay, error) {
	var out Replay
	return &out, c.Do(ctx, "POST", path("/v1/webhooks/%s/replay", webhookID), map[string]string{"status": status}, &out)
}
