package client

import (
	"context"
	"net/url"
	"time"
)

// Retention is what an organization keeps, and for how long.
type Retention struct {
	EventsDays        int       `json:"events_days"`
	CallLogsDays      int       `json:"call_logs_days"`
	CallLogBodiesDays int       `json:"call_log_bodies_days"`
	IdempotencyHours  int       `json:"idempotency_hours"`
	Sessions          string    `json:"sessions"`
	AuditTrail        string    `json:"audit_trail"`
	Source            string    `json:"source"` // "plan" or "override"
	UpdatedAt         time.Time `json:"updated_at"`
}

// RetentionInput is the platform operator's override of an organization's
// retention; a nil field keeps the plan's default.
type RetentionInput struct {
	EventsDays        *int `json:"events_days"`
	CallLogsDays      *int `json:"call_logs_days"`
	CallLogBodiesDays *int `json:"call_log_bodies_days"`
}

// Org is the caller's organization with its plan's limits and retention.
type Org struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Plan      string         `json:"plan"`
	Limits    map[string]any `json:"limits"`
	Retention Retention      `json:"retention"`
	CreatedAt time.Time      `json:"created_at"`
}

// GetOrg returns the caller's organization.
func (c *Client) GetOrg(ctx context.Context) (*Org, error) {
	var out Org
	return &out, c.Do(ctx, "GET", "/v1/org", nil, &out)
}

// Retention returns an organization's retention (platform operator).
func (c *Client) Retention(ctx context.Context, orgID string) (*Retention, error) {
	var out Retention
	return &out, c.Do(ctx, "GET", "/v1/orgs/"+url.PathEscape(orgID)+"/retention", nil, &out)
}

// SetRetention overrides an organization's retention (platform operator).
func (c *Client) SetRetention(ctx context.Context, orgID string, in RetentionInput) (*Retention, error) {
	var out Retention
	return &out, c.Do(ctx, "PUT", "/v1/orgs/"+url.PathEscape(orgID)+"/retention", in, &out)
}

// ResetRetention puts an organization back on its plan's retention
// (platform operator).
func (c *Client) ResetRetention(ctx context.Context, orgID string) (*Retention, error) {
	var out Retention
	return &out, c.Do(ctx, "DELETE", "/v1/orgs/"+url.PathEscape(orgID)+"/retention", nil, &out)
}
