// Package org is the application layer of an organization: its members
// and their invitations, API keys, teams, settings and white-label
// branding, new organizations for the platform, and the audit trail. The
// REST API and the dashboard share every rule here: who may invite whom
// (never above one's own role), what a valid member or team is, which
// settings a plan allows, and that each change is audited in its own
// transaction.
package org

import (
	"context"
	"log/slog"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/account"
	"github.com/plugboard/plugboard/internal/store"
)

// Audit trail actions.
const (
	ActionInvite      = "member.invite"
	ActionSigninLink  = "member.signin_link"
	ActionKeyCreate   = "key.create"
	ActionKeyRevoke   = "key.revoke"
	ActionTeamCreate  = "team.create"
	ActionTeamDelete  = "team.delete"
	ActionMemberJoin  = "team.add_member"
	ActionMemberLeave = "team.remove_member"
	ActionUpdate      = "org.update"
	ActionCreate      = "org.create"
)

// ToolWatcher hears that what agents acting for members see may have
// changed (team membership).
type ToolWatcher interface {
	ToolsChanged(ctx context.Context, orgID string)
}

// Deps are what the operations need; every field is required but Logger.
type Deps struct {
	Store    *store.Store
	Accounts *account.Service // sign-in links for invited members
	Tools    ToolWatcher
	Logger   *slog.Logger
}

// Service runs the organization operations. It is safe for concurrent
// use.
type Service struct {
	Deps
}

// New returns the service.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{Deps: d}
}

// Members lists the organization's members.
func (s *Service) Members(ctx context.Context, p access.Principal) ([]store.User, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	return s.Store.ListUsers(ctx, p.Org.ID)
}

// Trail lists the organization's audit trail, newest first.
func (s *Service) Trail(ctx context.Context, p access.Principal, f store.AuditFilter) ([]store.AuditEvent, error) {
	if err := p.May(access.ManageOrg); err != nil {
		return nil, err
	}
	return s.Store.ListAudit(ctx, p.Org.ID, f)
}

// VerifyTrail recomputes every link of the organization's audit trail.
func (s *Service) VerifyTrail(ctx context.Context, p access.Principal) (store.AuditVerification, error) {
	if err := p.May(access.ManageOrg); err != nil {
		return store.AuditVerification{}, err
	}
	return s.Store.VerifyAudit(ctx, p.Org.ID)
}
