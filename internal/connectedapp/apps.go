package connectedapp

import (
	"context"
	"errors"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// App is a connected app as its person sees it in the dashboard.
type App struct {
	Agent  store.Agent
	Client store.AppClient // zero when the client's record is gone
}

// List lists the apps p connected, newest first, revoked ones included.
func (s *Service) List(ctx context.Context, p access.Principal) ([]App, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	agents, err := s.cfg.Store.ConnectedApps(ctx, p.Org.ID, p.User.ID)
	if err != nil {
		return nil, err
	}
	out := make([]App, 0, len(agents))
	for _, a := range agents {
		c, err := s.cfg.Store.GetAppClient(ctx, a.ClientID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		out = append(out, App{Agent: a, Client: c})
	}
	return out, nil
}

// Revoke disconnects one of p's apps at once: its tokens stop working on
// their next request, its refresh tokens too, and its open MCP sessions
// are closed.
func (s *Service) Revoke(ctx context.Context, p access.Principal, agentID string) error {
	app, err := s.cfg.Store.GetAgent(ctx, p.Org.ID, agentID)
	if errors.Is(err, store.ErrNotFound) || err == nil && (!app.Connected() || app.CreatedBy != p.User.ID) {
		return access.NotFound("connected app", agentID)
	}
	if err != nil {
		return err
	}
	if !app.RevokedAt.IsZero() {
		return problem.Conflict("%s was already disconnected", app.Name)
	}
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.RevokeAgent(ctx, p.Org.ID, app.ID); err != nil {
			return err
		}
		if err := tx.RevokeAppFamiliesOf(ctx, app.ID, "app disconnected by its person", s.now()); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionRevoke, "agent", app.ID, map[string]any{"client_id": app.ClientID, "name": app.Name}))
		return err
	})
	if err != nil {
		return err
	}
	s.cfg.Tools.ToolsChanged(ctx, p.Org.ID)
	return nil
}
