// Package retention decides how long an organization's data is kept and
// prunes what is older. Each plan has defaults (package plan); the
// platform operator may override them per organization, an audited change.
// The audit trail is not pruned: it is hash-chained, and only the operator
// exports and truncates it, explicitly.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/idempotency"
	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Audit trail actions.
const (
	ActionOverride = "retention.override"
	ActionReset    = "retention.reset"
)

// MaxDays bounds an override: ten years.
const MaxDays = 3650

// Policy is what an organization keeps, and for how long.
type Policy struct {
	EventsDays        int `json:"events_days"`          // webhook events, their trigger runs and attempts
	CallLogsDays      int `json:"call_logs_days"`       // call log entries
	CallLogBodiesDays int `json:"call_log_bodies_days"` // the call log's bodies and headers
	IdempotencyHours  int `json:"idempotency_hours"`    // idempotency records (the replay window)
	// Sessions and OAuth states go when they expire; the audit trail is
	// kept until the operator exports and truncates it.
	Sessions   string `json:"sessions"`
	AuditTrail string `json:"audit_trail"`
	// Source is "plan", or "override" when the operator set any of the
	// day counts for this organization.
	Source    string    `json:"source"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// PolicyOf combines an organization's plan and override.
func PolicyOf(o store.OrgRetention) Policy {
	limits, err := plan.Get(o.Plan)
	if err != nil {
		limits, _ = plan.Get("free")
	}
	p := Policy{
		EventsDays: limits.RetentionDays, CallLogsDays: limits.RetentionDays, CallLogBodiesDays: limits.CallLogBodiesDays,
		IdempotencyHours: int(idempotency.Window / time.Hour), Sessions: "until they expire", AuditTrail: "kept", Source: "plan",
	}
	ov := o.Override
	if ov.EventsDays > 0 || ov.CallLogsDays > 0 || ov.CallLogBodiesDays > 0 {
		p.Source, p.UpdatedAt = "override", ov.UpdatedAt
	}
	if ov.EventsDays > 0 {
		p.EventsDays = ov.EventsDays
	}
	if ov.CallLogsDays > 0 {
		p.CallLogsDays = ov.CallLogsDays
	}
	if ov.CallLogBodiesDays > 0 {
		p.CallLogBodiesDays = ov.CallLogBodiesDays
	}
	// Bodies never outlive their rows.
	p.CallLogBodiesDays = min(p.CallLogBodiesDays, p.CallLogsDays)
	return p
}

// keep is how long rule keeps rows under p.
func (p Policy) keep(k store.Keep) time.Duration {
	day := 24 * time.Hour
	switch k {
	case store.KeepEvents:
		return time.Duration(p.EventsDays) * day
	case store.KeepCallLogs:
		return time.Duration(p.CallLogsDays) * day
	case store.KeepCallLogBodies:
		return time.Duration(p.CallLogBodiesDays) * day
	case store.KeepIdempotency:
		return idempotency.Window
	}
	return 0
}

// Deps are what the operations need.
type Deps struct {
	Store  *store.Store
	Logger *slog.Logger
}

// Service answers what is kept and lets the operator change it.
type Service struct{ Deps }

// New returns the service.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{Deps: d}
}

// Get is the retention of p's organization; every member may read it.
func (s *Service) Get(ctx context.Context, p access.Principal) (Policy, error) {
	if err := p.May(access.Read); err != nil {
		return Policy{}, err
	}
	return s.of(ctx, p.Org.ID)
}

// For is the retention of any organization, for the platform operator.
func (s *Service) For(ctx context.Context, p access.Principal, orgID string) (Policy, error) {
	if err := p.May(access.Platform); err != nil {
		return Policy{}, err
	}
	return s.of(ctx, orgID)
}

func (s *Service) of(ctx context.Context, orgID string) (Policy, error) {
	o, err := s.Store.OrgRetention(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) {
		return Policy{}, problem.NotFound("no organization %s", orgID)
	}
	if err != nil {
		return Policy{}, fmt.Errorf("retention of %s: %w", orgID, err)
	}
	return PolicyOf(o), nil
}

// Override is what the operator sets for one organization; a nil field
// keeps the plan's default.
type Override struct {
	EventsDays        *int `json:"events_days"`
	CallLogsDays      *int `json:"call_logs_days"`
	CallLogBodiesDays *int `json:"call_log_bodies_days"`
}

// Set replaces orgID's override (all nil: back to the plan's defaults). Only
// the platform operator may; the change is audited in that organization's
// trail, naming the operator.
func (s *Service) Set(ctx context.Context, p access.Principal, orgID string, in Override) (Policy, error) {
	if err := p.May(access.Platform); err != nil {
		return Policy{}, err
	}
	current, err := s.Store.OrgRetention(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) {
		return Policy{}, problem.NotFound("no organization %s", orgID)
	} else if err != nil {
		return Policy{}, fmt.Errorf("retention of %s: %w", orgID, err)
	}
	ov := store.RetentionOverride{OrgID: orgID, UpdatedBy: p.User.ID}
	var errs []problem.FieldError
	for _, f := range []struct {
		name string
		in   *int
		out  *int
	}{{"events_days", in.EventsDays, &ov.EventsDays}, {"call_logs_days", in.CallLogsDays, &ov.CallLogsDays}, {"call_log_bodies_days", in.CallLogBodiesDays, &ov.CallLogBodiesDays}} {
		if f.in == nil {
			continue
		}
		if *f.in < 1 || *f.in > MaxDays {
			errs = append(errs, problem.FieldError{Field: f.name, Message: fmt.Sprintf("must be a number of days from 1 to %d, or null for the plan's default", MaxDays)})
			continue
		}
		*f.out = *f.in
	}
	next := current
	next.Override = ov
	if pol := PolicyOf(next); ov.CallLogBodiesDays > pol.CallLogsDays {
		errs = append(errs, problem.FieldError{Field: "call_log_bodies_days", Message: fmt.Sprintf("cannot exceed call_logs_days (%d): bodies go with their entries", pol.CallLogsDays)})
	}
	if len(errs) > 0 {
		return Policy{}, problem.Invalid("the retention is not valid", errs)
	}
	action, detail := ActionOverride, map[string]any{"events_days": in.EventsDays, "call_logs_days": in.CallLogsDays, "call_log_bodies_days": in.CallLogBodiesDays, "by_org": p.Org.ID}
	if in.EventsDays == nil && in.CallLogsDays == nil && in.CallLogBodiesDays == nil {
		action, detail = ActionReset, map[string]any{"by_org": p.Org.ID}
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetRetentionOverride(ctx, ov); err != nil {
			return err
		}
		entry := p.Audit(action, "org", orgID, detail)
		entry.OrgID = orgID
		_, err := tx.AppendAudit(ctx, entry)
		return err
	})
	if err != nil {
		return Policy{}, fmt.Errorf("set retention of %s: %w", orgID, err)
	}
	return s.of(ctx, orgID)
}
