package org

import (
	"context"
	"errors"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/naming"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Teams lists the organization's teams with their members.
func (s *Service) Teams(ctx context.Context, p access.Principal) ([]store.Team, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	return s.Store.ListTeams(ctx, p.Org.ID)
}

// CreateTeam adds a team.
func (s *Service) CreateTeam(ctx context.Context, p access.Principal, name string) (store.Team, error) {
	if err := p.May(access.ManageOrg); err != nil {
		return store.Team{}, err
	}
	if strings.TrimSpace(name) == "" {
		return store.Team{}, problem.Invalid("the team needs a name", []problem.FieldError{{Field: "name", Message: "is required"}})
	}
	name, err := naming.Field("name", naming.Name, name)
	if err != nil {
		return store.Team{}, err
	}
	var t store.Team
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if t, err = tx.CreateTeam(ctx, p.Org.ID, name); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionTeamCreate, "team", t.ID, map[string]any{"name": name}))
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return store.Team{}, problem.Conflict("a team named %q already exists", name)
	}
	return t, err
}

// DeleteTeam removes a team; integrations restricted only to it open to
// the whole organization again.
func (s *Service) DeleteTeam(ctx context.Context, p access.Principal, id string) error {
	if err := p.May(access.ManageOrg); err != nil {
		return err
	}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteTeam(ctx, p.Org.ID, id); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionTeamDelete, "team", id, nil))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return access.NotFound("team", id)
	}
	if err != nil {
		return err
	}
	s.Tools.ToolsChanged(ctx, p.Org.ID)
	return nil
}

// SetTeamMember adds a member to a team (in true) or removes them.
func (s *Service) SetTeamMember(ctx context.Context, p access.Principal, teamID, userID string, in bool) error {
	if err := p.May(access.ManageOrg); err != nil {
		return err
	}
	action := ActionMemberJoin
	if !in {
		action = ActionMemberLeave
	}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetTeamMember(ctx, p.Org.ID, teamID, userID, in); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(action, "team", teamID, map[string]any{"user": userID}))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return access.NotFound("team or member", teamID+"/"+userID)
	}
	if err != nil {
		return err
	}
	s.Tools.ToolsChanged(ctx, p.Org.ID)
	return nil
}
