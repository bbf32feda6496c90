package access

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Rules answers what a principal may see and use, from the organization's
// team restrictions. It is safe for concurrent use.
type Rules struct {
	store *store.Store
}

// New returns the rules over st.
func New(st *store.Store) *Rules { return &Rules{store: st} }

// NotFound is the answer for an object p may not see: the same as for an
// object of another organization, so that a restriction does not reveal
// what it hides.
func NotFound(kind, ref string) error {
	return problem.NotFound("%s %q not found in this organization", kind, ref)
}

// MayUse reports whether p may see and use integration in: any member when
// it is restricted to no team; owners, admins and members of one of its
// teams when it is. An agent acting for no one uses what its grants name,
// which an admin chose.
func (r *Rules) MayUse(ctx context.Context, p Principal, in store.Integration) (bool, error) {
	if in.OrgID != p.Org.ID {
		return false, nil
	}
	if p.User.ID == "" || rank[p.User.Role] >= rank[store.RoleAdmin] {
		return true, nil
	}
	teams, err := r.store.IntegrationTeams(ctx, in.ID)
	if err != nil || len(teams) == 0 {
		return err == nil, err
	}
	return r.store.InAnyTeam(ctx, p.User.ID, teams)
}

// Integration loads the integration ref (id or slug) of p's organization
// when p may use it. One p may not use is not found, as one of another
// organization is.
func (r *Rules) Integration(ctx context.Context, p Principal, ref string) (store.Integration, error) {
	in, err := r.store.GetIntegration(ctx, p.Org.ID, ref)
	if errors.Is(err, store.ErrNotFound) {
		return store.Integration{}, NotFound("integration", ref)
	}
	if err != nil {
		return store.Integration{}, err
	}
	ok, err := r.MayUse(ctx, p, in)
	if err != nil {
		return store.Integration{}, err
	}
	if !ok {
		return store.Integration{}, NotFound("integration", ref)
	}
	return in, nil
}

// Hidden lists the integrations of p's organization that p may not see,
// for the filters of lists (the call log). Owners and admins see all.
func (r *Rules) Hidden(ctx context.Context, p Principal) ([]string, error) {
	if p.User.ID == "" || rank[p.User.Role] >= rank[store.RoleAdmin] {
		return nil, nil
	}
	return r.store.HiddenIntegrations(ctx, p.Org.ID, p.User.ID)
}

// Filter keeps the integrations of list that p may use, in order.
func (r *Rules) Filter(ctx context.Context, p Principal, list []store.Integration) ([]store.Integration, error) {
	hidden, err := r.Hidden(ctx, p)
	if err != nil || len(hidden) == 0 {
		return list, err
	}
	skip := make(map[string]bool, len(hidden))
	for _, id := range hidden {
		skip[id] = true
	}
	out := make([]store.Integration, 0, len(list))
	for _, in := range list {
		if !skip[in.ID] {
			out = append(out, in)
		}
	}
	return out, nil
}

// Scope narrows a call log filter to what p may see: entries of
// integrations p may use, made through the shared connections or p's own.
func (r *Rules) Scope(ctx context.Context, p Principal, f *store.CallLogFilter) error {
	hidden, err := r.Hidden(ctx, p)
	if err != nil {
		return err
	}
	f.Hidden = hidden
	f.Member = p.User.ID
	if f.Member == "" {
		f.Member = "\x00" // no member: shared entries only
	}
	return nil
}

// SeesLog reports whether p may see the call log entry l.
func (r *Rules) SeesLog(ctx context.Context, p Principal, l store.CallLog) (bool, error) {
	if l.OrgID != p.Org.ID || (l.UserID != "" && l.UserID != p.User.ID) {
		return false, nil
	}
	in, err := r.store.GetIntegration(ctx, p.Org.ID, l.IntegrationID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil // the integration was deleted since; its log stays readable
	}
	if err != nil {
		return false, err
	}
	return r.MayUse(ctx, p, in)
}

// Member loads a member of org by id or email address, for a principal
// that acts for them (a trigger's creator, an agent's run-as member). A
// member of another organization is not found.
func (r *Rules) Member(ctx context.Context, orgID, userID string) (store.Principal, error) {
	sp, err := r.store.PrincipalByUserID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) && strings.Contains(userID, "@") {
		sp, err = r.store.PrincipalByEmail(ctx, userID)
	}
	if err == nil && sp.Org.ID != orgID {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Principal{}, fmt.Errorf("member %s: %w", userID, err)
	}
	return sp, nil
}
