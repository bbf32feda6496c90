// Package approval holds calls that need a person's approval before they
// reach an API. An action's policy ([connector.Action.NeedsApproval])
// decides whether a call needs one; the action service asks this package
// at its one door, so REST runs, MCP tool calls, trigger runs, the
// dashboard's test step and workers are gated alike.
//
// A call that needs approval is parked with its exact request (method,
// URL, params) and a hash that binds the decision to it, under the
// caller's idempotency key. Repeating the call with the same key returns
// the outcome: still waiting, denied, expired, or, once approved, the
// call itself, sent exactly once. The same key with another request is
// refused. Owners, admins and members of the team the action names decide;
// every request, decision, expiry and execution is in the audit trail.
package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/id"
	"github.com/plugboard/plugboard/internal/idempotency"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// DefaultTTL is how long a pending approval waits for a decision.
const DefaultTTL = 24 * time.Hour

// Config wires a Service.
type Config struct {
	Store *store.Store
	// PublicURL is the server's base URL, for the approval pages' links.
	PublicURL string
	// TTL is how long an approval waits for a decision. Defaults to
	// DefaultTTL.
	TTL time.Duration
	// Notifier tells the organization's notification URL of each new
	// pending approval; nil tells no one.
	Notifier Notifier
	// Vault seals the notification URL's signing secret.
	Vault  *vault.Keyring
	Logger *slog.Logger
}

// Notifier hears of each new pending approval, after it is stored.
type Notifier interface {
	Pending(ctx context.Context, a store.Approval, page string)
}

// Service parks, decides and expires approvals. It is safe for concurrent
// use.
type Service struct {
	cfg Config
}

// New returns the service.
func New(cfg Config) *Service {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}
}

// Request is a call that needs approval, as the action service resolved
// and built it.
type Request struct {
	Scope           string // whose idempotency key Key is
	Key             string
	IntegrationID   string
	IntegrationName string
	Version         int
	Action          string
	Environment     string
	Method          string
	URL             string
	Params          map[string]any
	Team            string
}

// Hash binds an approval to one request: the same integration version,
// action, environment, method, URL and params.
func (r Request) Hash() string {
	return idempotency.Fingerprint(r.IntegrationID, r.Version, r.Action, r.Environment, r.Method, r.URL, r.Params)
}

// Pending is the error of a call that waits for a decision.
type Pending struct {
	Approval store.Approval
	Page     string // the dashboard page where a person decides
	Status   string // the REST URL of the approval's status
	Created  bool   // this call parked it
}

func (p *Pending) Error() string {
	return fmt.Sprintf("the call waits for approval %s (until %s): an owner, an admin%s decides at %s; repeat the call with the idempotency key %q to get the outcome",
		p.Approval.ID, p.Approval.ExpiresAt.Format(time.RFC3339), TeamClause(p.Approval.Team), p.Page, p.Approval.Key)
}

// Unwrap reads the wait as a problem (202) for surfaces that show
// problems as they are, like the dashboard's test step.
func (p *Pending) Unwrap() error {
	return &problem.Error{Status: http.StatusAccepted, Title: "Waiting for approval", Detail: p.Error()}
}

// TeamClause completes "an owner, an admin…" with the team that may also
// decide, if any.
func TeamClause(team string) string {
	if team == "" {
		return ""
	}
	return " or a member of the team " + team
}

// AsPending reports whether err is a call waiting for approval.
func AsPending(err error) (*Pending, bool) {
	var p *Pending
	ok := errors.As(err, &p)
	return p, ok
}

// Page is the dashboard page of approval id.
func (s *Service) Page(id string) string { return s.cfg.PublicURL + "/approvals/" + id }

func (s *Service) pending(a store.Approval, created bool) *Pending {
	return &Pending{Approval: a, Page: s.Page(a.ID), Status: s.cfg.PublicURL + "/v1/approvals/" + a.ID, Created: created}
}

// Gate decides what becomes of a call that needs approval for p. It
// returns the approval when the call may be sent now (approved, for this
// very request); a *Pending while it waits; a problem when it was denied
// or expired, or when the key was used for another request.
func (s *Service) Gate(ctx context.Context, p access.Principal, r Request) (store.Approval, error) {
	hash := r.Hash()
	a, err := s.cfg.Store.ApprovalByKey(ctx, p.Org.ID, r.Scope, r.Key)
	if errors.Is(err, store.ErrNotFound) {
		a, err = s.park(ctx, p, r, hash)
		if errors.Is(err, store.ErrConflict) {
			// Another call with the key parked it meanwhile.
			a, err = s.cfg.Store.ApprovalByKey(ctx, p.Org.ID, r.Scope, r.Key)
		} else if err == nil {
			return a, s.pending(a, true)
		}
	}
	if err != nil {
		return a, fmt.Errorf("approval of key %q: %w", r.Key, err)
	}
	if a.RequestHash != hash {
		return a, &problem.Error{Status: http.StatusUnprocessableEntity, Title: "Idempotency key bound to another request",
			Detail: fmt.Sprintf("the idempotency key %q belongs to approval %s of %s %s with other params; an approval holds for the exact request it was asked for. Repeat that request, or use a new key for this one", r.Key, a.ID, a.Method, a.URL)}
	}
	if a.Status == store.ApprovalPending && !time.Now().Before(a.ExpiresAt) {
		a, err = s.expire(ctx, a)
		if err != nil {
			return a, err
		}
	}
	return a, s.Outcome(a)
}

// Outcome is nil for an approved call, and the error its caller gets in
// the other states.
func (s *Service) Outcome(a store.Approval) error {
	switch a.Status {
	case store.ApprovalApproved:
		return nil
	case store.ApprovalPending:
		return s.pending(a, false)
	case store.ApprovalDenied:
		detail := fmt.Sprintf("approval %s of %s %s was denied", a.ID, a.Method, a.URL)
		if a.Comment != "" {
			detail += ": " + a.Comment
		}
		return &problem.Error{Status: http.StatusForbidden, Title: "Call denied", Detail: detail + ". The call was not sent; ask the approver, or make a new call with a new idempotency key."}
	}
	return &problem.Error{Status: http.StatusGone, Title: "Approval expired",
		Detail: fmt.Sprintf("approval %s of %s %s expired at %s without a decision; the call was not sent. Make it again with a new idempotency key to ask again.", a.ID, a.Method, a.URL, a.ExpiresAt.Format(time.RFC3339))}
}

// park stores a new pending approval with its audit entry, then tells the
// notifier.
func (s *Service) park(ctx context.Context, p access.Principal, r Request, hash string) (store.Approval, error) {
	params, err := json.Marshal(r.Params)
	if err != nil {
		return store.Approval{}, fmt.Errorf("encode params: %w", err)
	}
	now := time.Now().UTC()
	a := store.Approval{
		ID: id.New("apr"), OrgID: p.Org.ID, Scope: r.Scope, Key: r.Key, IntegrationID: r.IntegrationID, IntegrationName: r.IntegrationName,
		Version: r.Version, Action: r.Action, Environment: r.Environment, Method: r.Method, URL: r.URL, Params: params, RequestHash: hash,
		Team: r.Team, RequestedBy: p.User.ID, Requester: p.Actor(), Via: string(p.Via), Status: store.ApprovalPending,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.TTL),
	}
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateApproval(ctx, a); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit("approval.request", "approval", a.ID, map[string]any{
			"integration": r.IntegrationID, "action": r.Action, "environment": r.Environment, "method": r.Method, "url": r.URL, "request_hash": hash,
		}))
		return err
	})
	if err != nil {
		return a, err
	}
	if s.cfg.Notifier != nil {
		s.cfg.Notifier.Pending(context.WithoutCancel(ctx), a, s.Page(a.ID))
	}
	return a, nil
}

// Claim marks an approved call as sent, with its audit entry, exactly
// once: a second claim is a conflict.
func (s *Service) Claim(ctx context.Context, p access.Principal, a store.Approval) error {
	err := s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.ClaimApprovalExecution(ctx, a.OrgID, a.ID, time.Now()); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit("approval.execute", "approval", a.ID, map[string]any{
			"integration": a.IntegrationID, "action": a.Action, "environment": a.Environment, "request_hash": a.RequestHash,
		}))
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return problem.Conflict("approval %s was already used: its call was sent once, and an approval sends a call only once", a.ID)
	}
	return err
}
