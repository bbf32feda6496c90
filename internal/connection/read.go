package connection

import (
	"context"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/store"
)

// List lists the connections of an integration p may see: the shared ones
// and p's own.
func (s *Service) List(ctx context.Context, p access.Principal, ref string) ([]store.Connection, error) {
	t, err := s.target(ctx, p, access.Read, ref)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.ListConnections(ctx, p.Org.ID, t.Integration.ID, p.User.ID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, c := range all {
		if p.Sees(c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Get loads one connection p may see.
func (s *Service) Get(ctx context.Context, p access.Principal, ref, cid string) (store.Connection, error) {
	_, c, err := s.visible(ctx, p, access.Read, ref, cid)
	return c, err
}

// Secrets are the credential values of the connection a call by p in env
// would use, so that a page showing what an API echoed can mask them.
// They live only as long as the request that asked.
func (s *Service) Secrets(ctx context.Context, p access.Principal, integrationID, env string) []string {
	c, err := s.Store.ResolveConnection(ctx, p.Org.ID, integrationID, env, p.User.ID)
	if err != nil || !p.Sees(c) {
		return nil
	}
	creds, err := s.Auth.Open(c)
	if err != nil {
		return nil
	}
	return creds.Secrets()
}

// Budget is what is left of an API's announced rate limit for one
// connection p may see.
type Budget struct {
	Connection store.Connection
	Window     limit.Window
}

// Budgets lists the rate-limit windows the integration's API announced for
// the connections p may see; connections whose API announced nothing, or
// whose window has reset, are left out.
func (s *Service) Budgets(ctx context.Context, p access.Principal, ref string) ([]Budget, error) {
	conns, err := s.List(ctx, p, ref)
	if err != nil || s.Loader.Budget == nil {
		return nil, err
	}
	var out []Budget
	now := time.Now()
	for _, c := range conns {
		w, ok, err := s.Loader.Budget.Peek(ctx, c.ID, now)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, Budget{Connection: c, Window: w})
		}
	}
	return out, nil
}
