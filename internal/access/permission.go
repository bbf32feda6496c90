package access

import (
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Permission is a kind of thing a principal may do.
type Permission string

// The permissions, from the weakest.
const (
	Read      Permission = "read"       // see integrations, logs, webhooks, agents
	Build     Permission = "build"      // create, edit, deploy integrations and webhooks
	Run       Permission = "run"        // run actions, proxy, test, replay
	Connect   Permission = "connect"    // add and remove connections
	ManageOrg Permission = "manage_org" // members, teams, agents, the audit trail
	OwnOrg    Permission = "own_org"    // the organization's name and branding
	Platform  Permission = "platform"   // reviewing the public catalog, opening organizations
)

var rank = map[string]int{store.RoleViewer: 1, store.RoleDeveloper: 2, store.RoleAdmin: 3, store.RoleOwner: 4}

var needs = map[Permission]int{Read: 1, Build: 2, Run: 2, Connect: 2, ManageOrg: 3, OwnOrg: 4}

// Rank orders roles: viewer 1, developer 2, admin 3, owner 4; an unknown
// role is 0.
func Rank(role string) int { return rank[role] }

// May is the one decision whether p may do perm at all, with a 403 problem
// that says whom to ask. What p may do to one object (an integration
// restricted to teams, someone's personal connection) is decided by
// [Rules] on top of it.
//
// A member's role decides. An agent or a trigger has the rights of the
// member it acts for; an agent acting for no one may only run its tools,
// which its grants name.
func (p Principal) May(perm Permission) error {
	switch {
	case perm == Platform:
		if p.User.PlatformAdmin && (p.Kind == Member || p.Kind == Worker) {
			return nil
		}
		return problem.Forbidden("only a platform administrator may do this")
	case p.Kind == Agent && p.User.ID == "":
		if perm == Run || perm == Read {
			return nil
		}
		return problem.Forbidden("an agent may only call the tools it was granted")
	case p.Kind == Agent || p.Kind == Trigger:
		if perm != Run && perm != Read {
			return problem.Forbidden("a %s may only run actions", p.Kind)
		}
	}
	if rank[p.User.Role] >= needs[perm] {
		return nil
	}
	if p.Kind != Member && p.Kind != Worker {
		return problem.Forbidden("the %s acts for %s, whose role %q may no longer %s", p.Kind, p.User.Email, p.User.Role, perm)
	}
	return problem.Forbidden("your role %q may not %s; ask an owner or admin of the organization", p.User.Role, perm)
}

// Outranks reports whether p may grant role to someone: never a role
// above its own.
func (p Principal) Outranks(role string) bool {
	return rank[role] > 0 && rank[role] <= rank[p.User.Role]
}
