package integration

import (
	"context"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/store"
)

// Get loads an integration p may see at version: a number, or
// executor.VersionLatest (the draft) or executor.VersionDeployed.
func (s *Service) Get(ctx context.Context, p access.Principal, ref string, version int) (*Target, error) {
	return s.load(ctx, p, access.Read, ref, version)
}

// Draft loads the latest draft of an integration p may change, as an
// editor starts from it. Integrations defined in code are refused.
func (s *Service) Draft(ctx context.Context, p access.Principal, ref string) (*Target, error) {
	return s.editable(ctx, p, ref)
}

// List lists the integrations p may see, newest first, each at its latest
// version.
func (s *Service) List(ctx context.Context, p access.Principal) ([]*Target, error) {
	return s.visibleAt(ctx, p, executor.VersionLatest)
}

// Deployed lists the deployed integrations p may see, each at its deployed
// version: what agents can be granted.
func (s *Service) Deployed(ctx context.Context, p access.Principal) ([]*Target, error) {
	return s.visibleAt(ctx, p, executor.VersionDeployed)
}

// visibleAt loads the integrations p may see at version; with
// executor.VersionDeployed, those never deployed are left out.
func (s *Service) visibleAt(ctx context.Context, p access.Principal, version int) ([]*Target, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	all, err := s.Store.ListIntegrations(ctx, p.Org.ID)
	if err != nil {
		return nil, err
	}
	mine, err := s.Rules.Filter(ctx, p, all)
	if err != nil {
		return nil, err
	}
	out := make([]*Target, 0, len(mine))
	for _, in := range mine {
		if version == executor.VersionDeployed && in.DeployedVersion == 0 {
			continue
		}
		t, err := s.Loader.Load(ctx, p.Org.ID, in.ID, connector.Sandbox, version)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Versions lists an integration's versions, newest first.
func (s *Service) Versions(ctx context.Context, p access.Principal, ref string) ([]store.Version, error) {
	in, err := s.visible(ctx, p, access.Read, ref)
	if err != nil {
		return nil, err
	}
	return s.Store.ListVersions(ctx, in.ID)
}

// Teams lists the teams an integration is restricted to.
func (s *Service) Teams(ctx context.Context, p access.Principal, ref string) ([]string, error) {
	in, err := s.visible(ctx, p, access.Read, ref)
	if err != nil {
		return nil, err
	}
	return s.Store.IntegrationTeams(ctx, in.ID)
}
