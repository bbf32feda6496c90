package api

import (
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"net/http"
)

// Permissions a request may need.
const (
	permRead      = "read"       // see integrations, logs, webhooks
	permBuild     = "build"      // create, edit, deploy integrations and webhooks
	permRun       = "run"        // run actions, proxy, test
	permConnect   = "connect"    // add and remove connections
	permManageOrg = "manage_org" // members, agents, plan
	permOwnOrg    = "own_org"    // branding, deleting the org
	permPlatform  = "platform"   // reviewing the public catalog, creating orgs
)

var rank = map[string]int{store.RoleViewer: 1, store.RoleDeveloper: 2, store.RoleAdmin: 3, store.RoleOwner: 4}

var needs = map[string]int{
	permRead: 1, permBuild: 2, permRun: 2, permConnect: 2, permManageOrg: 3, permOwnOrg: 4, permPlatform: 5,
}

// authorize is the one place that decides whether p may do perm.
func authorize(p store.Principal, perm string) error {
	if perm == permPlatform {
		if p.User.PlatformAdmin {
			return nil
		}
		return problem.Forbidden("only a platform administrator may do this")
	}
	if rank[p.User.Role] >= needs[perm] {
		return nil
	}
	return problem.Forbidden("your role %q may not %s; ask an owner or admin of the organization", p.User.Role, perm)
}

// Permission names for the other edges (the dashboard), which decide
// through the same function as the API.
const (
	PermRead      = permRead
	PermBuild     = permBuild
	PermRun       = permRun
	PermConnect   = permConnect
	PermManageOrg = permManageOrg
	PermOwnOrg    = permOwnOrg
	PermPlatform  = permPlatform
)

// Authorize is authorize for the other edges: the one decision whether p
// may do perm, with a 403 problem that says whom to ask.
func Authorize(p store.Principal, perm string) error { return authorize(p, perm) }

// permInHandler marks routes whose handler decides itself, because what it
// needs depends on the request (PATCH /v1/org) or concerns the caller's own
// objects (keys, agents it may see).
const permInHandler = ""

// guard is the chain every /v1 route runs: the API key, the route's
// permission, team restrictions on integrations, then the audit trail.
func (a *API) guard(perm string, fn http.HandlerFunc) http.Handler {
	return a.authenticate(a.teamScoped(a.audited(a.permitted(perm, fn))))
}

// permitted refuses callers whose role does not grant perm.
func (a *API) permitted(perm string, next http.HandlerFunc) http.HandlerFunc {
	if perm == permInHandler {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if err := authorize(principal(r), perm); err != nil {
			a.fail(w, r, err)
			return
		}
		next(w, r)
	}
}
