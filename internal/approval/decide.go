package approval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/naming"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// MaxComment bounds a decision's comment.
const MaxComment = 2000

// listLimit bounds a list of approvals.
const listLimit = 200

var statuses = []string{store.ApprovalPending, store.ApprovalApproved, store.ApprovalDenied, store.ApprovalExpired}

// MayDecide reports whether p may approve or deny a: an owner or admin, or
// a member of the team the action names. Agents, triggers and workers
// never decide.
func (s *Service) MayDecide(ctx context.Context, p access.Principal, a store.Approval) (bool, error) {
	teams, err := s.teamsOf(ctx, p)
	if err != nil {
		return false, err
	}
	return mayDecide(p, a, teams), nil
}

// teamsOf are the names and ids of the teams p belongs to; nil when p
// decides as an owner or admin, or never decides.
func (s *Service) teamsOf(ctx context.Context, p access.Principal) (map[string]bool, error) {
	if p.Kind != access.Member || p.May(access.ManageOrg) == nil {
		return nil, nil
	}
	teams, err := s.cfg.Store.ListTeams(ctx, p.Org.ID)
	if err != nil {
		return nil, err
	}
	in := map[string]bool{}
	for _, t := range teams {
		if slices.Contains(t.Members, p.User.ID) {
			in[t.Name], in[t.ID] = true, true
		}
	}
	return in, nil
}

func mayDecide(p access.Principal, a store.Approval, teams map[string]bool) bool {
	if p.Kind != access.Member || p.Org.ID != a.OrgID {
		return false
	}
	return p.May(access.ManageOrg) == nil || (a.Team != "" && teams[a.Team])
}

// sees reports whether p may read a: who may decide it, and the member it
// was asked for.
func sees(p access.Principal, a store.Approval, teams map[string]bool) bool {
	if p.Org.ID != a.OrgID || p.May(access.Read) != nil {
		return false
	}
	return (a.RequestedBy != "" && a.RequestedBy == p.User.ID) || mayDecide(p, a, teams)
}

// List lists the approvals p may see, newest first; status filters
// (pending, approved, denied, expired; "" for all).
func (s *Service) List(ctx context.Context, p access.Principal, status string) ([]store.Approval, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	if status != "" && !slices.Contains(statuses, status) {
		return nil, problem.Invalid(fmt.Sprintf("status %q is not one of %s", status, strings.Join(statuses, ", ")),
			[]problem.FieldError{{Field: "status", Message: "use " + strings.Join(statuses, ", ") + ", or leave it out for all"}})
	}
	s.ExpireDue(ctx)
	all, err := s.cfg.Store.ListApprovals(ctx, p.Org.ID, status, listLimit)
	if err != nil {
		return nil, err
	}
	teams, err := s.teamsOf(ctx, p)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if sees(p, a, teams) {
			out = append(out, a)
		}
	}
	return out, nil
}

// Get reads one approval p may see; another is not found.
func (s *Service) Get(ctx context.Context, p access.Principal, approvalID string) (store.Approval, error) {
	if err := p.May(access.Read); err != nil {
		return store.Approval{}, err
	}
	a, err := s.cfg.Store.GetApproval(ctx, p.Org.ID, approvalID)
	if errors.Is(err, store.ErrNotFound) {
		return a, problem.NotFound("approval %q not found in this organization", approvalID)
	}
	if err != nil {
		return a, err
	}
	teams, err := s.teamsOf(ctx, p)
	if err != nil {
		return a, err
	}
	if !sees(p, a, teams) {
		return a, problem.NotFound("approval %q not found in this organization", approvalID)
	}
	if a.Status == store.ApprovalPending && !time.Now().Before(a.ExpiresAt) {
		return s.expire(ctx, a)
	}
	return a, nil
}

// Decide approves (approve true) or denies approval id for p, with a
// comment, in one transaction with its audit entry.
func (s *Service) Decide(ctx context.Context, p access.Principal, approvalID string, approve bool, comment string) (store.Approval, error) {
	comment = strings.TrimSpace(comment)
	if len(comment) > MaxComment {
		return store.Approval{}, problem.Invalid("the comment is too long", []problem.FieldError{{Field: "comment", Message: fmt.Sprintf("use at most %d characters", MaxComment)}})
	}
	if comment != "" {
		if _, err := naming.Description(strings.ReplaceAll(comment, "\n", " ")); err != nil {
			return store.Approval{}, problem.Invalid("the comment is not valid", []problem.FieldError{{Field: "comment", Message: err.Error()}})
		}
	}
	a, err := s.Get(ctx, p, approvalID)
	if err != nil {
		return a, err
	}
	if ok, err := s.MayDecide(ctx, p, a); err != nil {
		return a, err
	} else if !ok {
		return a, problem.Forbidden("only owners and admins%s may decide approval %s", TeamClause(a.Team), a.ID)
	}
	if a.Status != store.ApprovalPending {
		return a, problem.Conflict("approval %s is already %s; a decision cannot be changed", a.ID, a.Status)
	}
	status, verb := store.ApprovalDenied, "approval.deny"
	if approve {
		status, verb = store.ApprovalApproved, "approval.approve"
	}
	now := time.Now().UTC()
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DecideApproval(ctx, a.OrgID, a.ID, status, p.User.ID, comment, now); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(verb, "approval", a.ID, map[string]any{"comment": comment, "request_hash": a.RequestHash}))
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return a, problem.Conflict("approval %s was decided or expired meanwhile; reload it", a.ID)
	}
	if err != nil {
		return a, err
	}
	a.Status, a.DecidedBy, a.Comment, a.DecidedAt = status, p.User.ID, comment, &now
	return a, nil
}

// expire marks a due approval expired with its audit entry; one that was
// decided meanwhile is read again.
func (s *Service) expire(ctx context.Context, a store.Approval) (store.Approval, error) {
	err := s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.ExpireApproval(ctx, a.OrgID, a.ID, time.Now()); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, store.AuditEvent{OrgID: a.OrgID, Action: "approval.expire", TargetType: "approval", TargetID: a.ID,
			Detail: fmt.Sprintf(`{"via":"system","expires_at":%q}`, a.ExpiresAt.Format(time.RFC3339))})
		return err
	})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return a, err
	}
	return s.cfg.Store.GetApproval(ctx, a.OrgID, a.ID)
}

// ExpireDue expires every pending approval whose time ran out; lists and
// the background loop call it.
func (s *Service) ExpireDue(ctx context.Context) {
	due, err := s.cfg.Store.ExpiredApprovals(ctx, time.Now(), 100)
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "list expired approvals", "error", err)
		return
	}
	for _, a := range due {
		if _, err := s.expire(ctx, a); err != nil {
			s.cfg.Logger.WarnContext(ctx, "expire approval", "approval", a.ID, "error", err)
		}
	}
}

// Run expires due approvals every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.ExpireDue(ctx)
		}
	}
}

// Wait polls approval id until it is no longer pending or max has passed,
// and returns it as it then is.
func (s *Service) Wait(ctx context.Context, orgID, approvalID string, max time.Duration) (store.Approval, error) {
	deadline := time.Now().Add(max)
	for {
		a, err := s.cfg.Store.GetApproval(ctx, orgID, approvalID)
		if err != nil {
			return a, err
		}
		if a.Status == store.ApprovalPending && !time.Now().Before(a.ExpiresAt) {
			return s.expire(ctx, a)
		}
		if a.Status != store.ApprovalPending || !time.Now().Before(deadline) {
			return a, nil
		}
		select {
		case <-ctx.Done():
			return a, ctx.Err()
		case <-time.After(min(250*time.Millisecond, time.Until(deadline))):
		}
	}
}

// Waiting counts the pending approvals p may decide, for the dashboard's
// navigation; a failure counts none (it is logged).
func (s *Service) Waiting(ctx context.Context, p access.Principal) int {
	if p.Kind != access.Member {
		return 0
	}
	if p.May(access.ManageOrg) == nil {
		n, err := s.cfg.Store.CountPendingApprovals(ctx, p.Org.ID, time.Now())
		if err != nil {
			s.cfg.Logger.WarnContext(ctx, "count pending approvals", "error", err)
		}
		return n
	}
	teams, err := s.teamsOf(ctx, p)
	if err != nil || len(teams) == 0 {
		return 0 // without a team, a member decides nothing
	}
	list, err := s.cfg.Store.ListApprovals(ctx, p.Org.ID, store.ApprovalPending, listLimit)
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "list pending approvals", "error", err)
		return 0
	}
	n := 0
	for _, a := range list {
		if mayDecide(p, a, teams) && time.Now().Before(a.ExpiresAt) {
			n++
		}
	}
	return n
}
