package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Create stores a definition (JSON, the seed's short form or the full one)
// as a new integration at version 1, a draft.
func (s *Service) Create(ctx context.Context, p access.Principal, raw []byte) (*Target, error) {
	if err := p.May(access.Build); err != nil {
		return nil, err
	}
	def, canonical, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	return s.create(ctx, p, def, canonical, ActionCreate, nil)
}

// CreateFrom is Create for a definition built in memory.
func (s *Service) CreateFrom(ctx context.Context, p access.Principal, def *connector.Definition) (*Target, error) {
	if err := p.May(access.Build); err != nil {
		return nil, err
	}
	def, canonical, err := Encode(def)
	if err != nil {
		return nil, err
	}
	return s.create(ctx, p, def, canonical, ActionCreate, nil)
}

// create stores a checked definition within the plan; action and detail
// name the change in the audit trail.
func (s *Service) create(ctx context.Context, p access.Principal, def *connector.Definition, canonical []byte, action string, detail map[string]any) (*Target, error) {
	if err := p.May(access.Build); err != nil {
		return nil, err
	}
	slug := connector.Slug(def.Name)
	var in store.Integration
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		n, err := tx.CountIntegrations(ctx, p.Org.ID)
		if err != nil {
			return err
		}
		if err := withinPlan(p.Org, n); err != nil {
			return err
		}
		in, err = tx.CreateIntegration(ctx, store.Integration{OrgID: p.Org.ID, Slug: slug, Name: def.Name, Kind: store.KindConnector, CreatedBy: p.User.ID}, canonical)
		if err != nil {
			return err
		}
		d := map[string]any{"name": def.Name, "version": 1}
		for k, v := range detail {
			d[k] = v
		}
		_, err = tx.AppendAudit(ctx, p.Audit(action, "integration", in.ID, d))
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, problem.Conflict("an integration named %q (slug %q) already exists in this organization; pick another name or edit that one", def.Name, slug)
	}
	if err != nil {
		return nil, err
	}
	return &Target{Integration: in, Version: 1, Definition: def}, nil
}

// Update stores a definition as the integration's next draft version. A
// definition equal to the latest version adds nothing: changed is false
// and the latest version is returned.
func (s *Service) Update(ctx context.Context, p access.Principal, ref string, raw []byte) (t *Target, changed bool, err error) {
	cur, err := s.editable(ctx, p, ref)
	if err != nil {
		return nil, false, err
	}
	def, canonical, err := Parse(raw)
	if err != nil {
		return nil, false, err
	}
	return s.update(ctx, p, cur, def, canonical)
}

// UpdateFrom is Update for a definition built in memory (the dashboard's
// forms): it is compared with the latest version as it is now.
func (s *Service) UpdateFrom(ctx context.Context, p access.Principal, ref string, def *connector.Definition) (*Target, bool, error) {
	cur, err := s.editable(ctx, p, ref)
	if err != nil {
		return nil, false, err
	}
	def, canonical, err := Encode(def)
	if err != nil {
		return nil, false, err
	}
	return s.update(ctx, p, cur, def, canonical)
}

// editable loads the latest draft of an integration p may change.
func (s *Service) editable(ctx context.Context, p access.Principal, ref string) (*Target, error) {
	cur, err := s.load(ctx, p, access.Build, ref, executor.VersionLatest)
	if err != nil {
		return nil, err
	}
	if cur.Integration.Kind == store.KindCode {
		return nil, problem.Conflict("integration %q is defined in code; change it in its Go worker and restart the worker", cur.Integration.Name)
	}
	return cur, nil
}

func (s *Service) update(ctx context.Context, p access.Principal, cur *Target, def *connector.Definition, canonical []byte) (*Target, bool, error) {
	latest, err := json.Marshal(cur.Definition)
	if err != nil {
		return nil, false, err
	}
	if bytes.Equal(latest, canonical) {
		return cur, false, nil
	}
	var in store.Integration
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		in, err = tx.AddVersion(ctx, p.Org.ID, cur.Integration.ID, def.Name, canonical, p.User.ID)
		if err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionUpdate, "integration", in.ID, map[string]any{"version": in.LatestVersion}))
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return &Target{Integration: in, Version: in.LatestVersion, Definition: def}, true, nil
}

// Delete removes an integration with its versions and connections; agents
// lose its tools at once.
func (s *Service) Delete(ctx context.Context, p access.Principal, ref string) error {
	in, err := s.visible(ctx, p, access.Build, ref)
	if err != nil {
		return err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteIntegration(ctx, p.Org.ID, in.ID); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionDelete, "integration", in.ID, map[string]any{"name": in.Name}))
		return err
	})
	if err != nil {
		return err
	}
	s.Tools.ToolsChanged(ctx, p.Org.ID)
	return nil
}

// Deploy publishes version (0: the latest draft) to production and to
// agents. Versions are immutable, so deploying freezes what was tested.
func (s *Service) Deploy(ctx context.Context, p access.Principal, ref string, version int) (*Target, error) {
	if version == 0 {
		version = executor.VersionLatest
	}
	if version < 0 && version != executor.VersionLatest {
		return nil, problem.Invalid("version must be a version number", []problem.FieldError{{Field: "version", Message: fmt.Sprintf("must be 1 or more, got %d", version)}})
	}
	t, err := s.load(ctx, p, access.Build, ref, version)
	if err != nil {
		return nil, err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		in, err := tx.Deploy(ctx, p.Org.ID, t.Integration.ID, t.Version)
		if err != nil {
			return err
		}
		t.Integration = in
		_, err = tx.AppendAudit(ctx, p.Audit(ActionDeploy, "integration", in.ID, map[string]any{"version": t.Version}))
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Tools.ToolsChanged(ctx, p.Org.ID)
	return t, nil
}

// SetTeams restricts an integration to teams of the organization: only
// their members (and owners and admins) may then see and use it, from any
// surface. No teams opens it to the whole organization again.
func (s *Service) SetTeams(ctx context.Context, p access.Principal, ref string, teams []string) ([]string, error) {
	in, err := s.visible(ctx, p, access.ManageOrg, ref)
	if err != nil {
		return nil, err
	}
	if teams == nil {
		teams = []string{}
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetIntegrationTeams(ctx, p.Org.ID, in.ID, teams); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionRestrict, "integration", in.ID, map[string]any{"teams": teams}))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.Invalid("every team must exist in this organization", []problem.FieldError{{Field: "teams", Message: err.Error()}})
	}
	if err != nil {
		return nil, err
	}
	s.Tools.ToolsChanged(ctx, p.Org.ID)
	return teams, nil
}
