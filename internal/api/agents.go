package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/mcp"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// grantInput is one entry of an agent's "tools": an integration (id or
// slug), its actions (keys or names; none or "*" for all), the environment
// (sandbox, production, or none/"auto") and whose connections to use
// (a user id, or none/"shared").
type grantInput struct {
	Integration string   `json:"integration"`
	Actions     []string `json:"actions"`
	Environment string   `json:"environment"`
	RunAs       string   `json:"run_as"`
}

type agentInput struct {
	Name  *string       `json:"name"`
	Tools *[]grantInput `json:"tools"`
}

type grantView struct {
	Integration string   `json:"integration"`
	Slug        string   `json:"integration_slug,omitempty"`
	Actions     []string `json:"actions"`
	Environment string   `json:"environment"`
	RunAs       string   `json:"run_as"`
}

type agentView struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	Key          string      `json:"key,omitempty"` // only when created or rotated
	KeyPrefix    string      `json:"key_prefix"`
	Tools        []grantView `json:"tools"`
	MCPURL       string      `json:"mcp_url"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
	KeyRotatedAt time.Time   `json:"key_rotated_at,omitzero"`
	RevokedAt    time.Time   `json:"revoked_at,omitzero"`
}

func (a *API) viewAgent(ctx context.Context, ag store.Agent, key string) agentView {
	v := agentView{ID: ag.ID, Name: ag.Name, Key: key, KeyPrefix: ag.KeyPrefix, Tools: []grantView{}, MCPURL: a.PublicURL + "/mcp",
		CreatedAt: ag.CreatedAt, UpdatedAt: ag.UpdatedAt, KeyRotatedAt: ag.KeyRotatedAt, RevokedAt: ag.RevokedAt}
	for _, g := range ag.Grants {
		gv := grantView{Integration: g.IntegrationID, Actions: g.Actions, Environment: g.Environment, RunAs: g.RunAs}
		if g.AllActions() {
			gv.Actions = []string{"*"}
		}
		if gv.Environment == "" {
			gv.Environment = "auto"
		}
		if gv.RunAs == "" {
			gv.RunAs = "shared"
		}
		if in, err := a.Store.GetIntegration(ctx, ag.OrgID, g.IntegrationID); err == nil {
			gv.Slug = in.Slug
		}
		v.Tools = append(v.Tools, gv)
	}
	return v
}

// newAgentKey makes an agent key to show once, its prefix and its hash.
func newAgentKey() (key, prefix, hash string) {
	key = vault.NewToken("pba_", 24)
	return key, key[:12], vault.HashToken(key)
}

func (a *API) createAgent(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in agentInput
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		a.fail(w, r, problem.Invalid("name is required", []problem.FieldError{{Field: "name", Message: "give the agent a name, e.g. \"support bot\""}}))
		return
	}
	var grants []store.Grant
	if in.Tools != nil {
		var err error
		if grants, err = a.grants(r.Context(), p.Org.ID, *in.Tools); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	key, prefix, hash := newAgentKey()
	ag, err := a.Store.CreateAgent(r.Context(), store.Agent{OrgID: p.Org.ID, Name: strings.TrimSpace(*in.Name), KeyPrefix: prefix, Grants: grants, CreatedBy: p.User.ID}, hash)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a.viewAgent(r.Context(), ag, key))
}

// grants checks an agent's "tools" and resolves them to stored grants:
// every integration exists in the organization, every action in its latest
// or deployed version, every run_as user in the organization.
func (a *API) grants(ctx context.Context, orgID string, in []grantInput) ([]store.Grant, error) {
	var errs []problem.FieldError
	bad := func(i int, field, format string, args ...any) {
		errs = append(errs, problem.FieldError{Field: fmt.Sprintf("tools[%d].%s", i, field), Message: fmt.Sprintf(format, args...)})
	}
	out := make([]store.Grant, 0, len(in))
	seen := map[string]bool{}
	for i, gi := range in {
		if strings.TrimSpace(gi.Integration) == "" {
			bad(i, "integration", "give the integration's id or slug")
			continue
		}
		integ, err := a.Store.GetIntegration(ctx, orgID, gi.Integration)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			bad(i, "integration", "no integration %q in this organization", gi.Integration)
			continue
		}
		if seen[integ.ID] {
			bad(i, "integration", "integration %q is granted twice; list its actions in one entry", gi.Integration)
			continue
		}
		seen[integ.ID] = true
		g := store.Grant{IntegrationID: integ.ID}
		switch gi.Environment {
		case "", "auto":
		case connector.Sandbox, connector.Production:
			g.Environment = gi.Environment
		default:
			bad(i, "environment", "must be %q, %q or \"auto\" (production once connected, else sandbox), got %q", connector.Sandbox, connector.Production, gi.Environment)
		}
		if gi.RunAs != "" && gi.RunAs != "shared" {
			u, err := a.Store.PrincipalByUserID(ctx, gi.RunAs)
			if err != nil || u.Org.ID != orgID {
				bad(i, "run_as", "no user %q in this organization; give a user id or \"shared\"", gi.RunAs)
			} else {
				g.RunAs = u.User.ID
			}
		}
		if keys, msg := a.grantedActions(ctx, orgID, integ, gi.Actions); msg != "" {
			bad(i, "actions", "%s", msg)
		} else {
			g.Actions = keys
		}
		out = append(out, g)
	}
	if len(errs) > 0 {
		return nil, problem.Invalid("the agent's tools are not valid", errs)
	}
	return out, nil
}

// grantedActions resolves action keys or names against the integration's
// latest and deployed versions; nil means all actions.
func (a *API) grantedActions(ctx context.Context, orgID string, integ store.Integration, actions []string) ([]string, string) {
	if len(actions) == 0 || (len(actions) == 1 && actions[0] == "*") {
		return nil, ""
	}
	var defs []*connector.Definition
	for _, v := range []int{executor.VersionLatest, executor.VersionDeployed} {
		if v == executor.VersionDeployed && integ.DeployedVersion == 0 {
			continue
		}
		if t, err := a.Executor.Load(ctx, orgID, integ.ID, connector.Sandbox, v); err == nil {
			defs = append(defs, t.Definition)
		}
	}
	var keys []string
	for _, name := range actions {
		key := ""
		for _, d := range defs {
			if act, ok := d.Action(name); ok {
				key = act.Key
				break
			}
		}
		if key == "" {
			var known []string
			for _, d := range defs {
				for _, act := range d.Actions {
					if !slices.Contains(known, act.Key) {
						known = append(known, act.Key)
					}
				}
			}
			return nil, fmt.Sprintf("integration %q has no action %q; its actions are: %s (or \"*\" for all)", integ.Name, name, strings.Join(known, ", "))
		}
		if !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	}
	return keys, ""
}

func (a *API) listAgents(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	list, err := a.Store.ListAgents(r.Context(), p.Org.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]agentView, 0, len(list))
	for _, ag := range list {
		out = append(out, a.viewAgent(r.Context(), ag, ""))
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": out})
}

func (a *API) loadAgent(r *http.Request, perm string) (store.Principal, store.Agent, error) {
	p := principal(r)
	if err := authorize(p, perm); err != nil {
		return p, store.Agent{}, err
	}
	ag, err := a.Store.GetAgent(r.Context(), p.Org.ID, r.PathValue("id"))
	return p, ag, orNotFound(err, "agent", r.PathValue("id"))
}

func (a *API) getAgent(w http.ResponseWriter, r *http.Request) {
	_, ag, err := a.loadAgent(r, permRead)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.viewAgent(r.Context(), ag, ""))
}

func (a *API) updateAgent(w http.ResponseWriter, r *http.Request) {
	p, ag, err := a.loadAgent(r, permManageOrg)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var in agentInput
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			a.fail(w, r, problem.Invalid("name must not be empty", []problem.FieldError{{Field: "name", Message: "give the agent a name"}}))
			return
		}
		ag.Name = strings.TrimSpace(*in.Name)
	}
	if in.Tools != nil {
		if ag.Grants, err = a.grants(r.Context(), p.Org.ID, *in.Tools); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	if ag, err = a.Store.UpdateAgent(r.Context(), ag); err != nil {
		a.fail(w, r, err)
		return
	}
	a.agentsChanged(r, p.Org.ID)
	writeJSON(w, http.StatusOK, a.viewAgent(r.Context(), ag, ""))
}

func (a *API) deleteAgent(w http.ResponseWriter, r *http.Request) {
	p, ag, err := a.loadAgent(r, permManageOrg)
	if err == nil {
		err = a.Store.RevokeAgent(r.Context(), p.Org.ID, ag.ID)
	}
	if err != nil {
		a.fail(w, r, orNotFound(err, "active agent", r.PathValue("id")))
		return
	}
	a.agentsChanged(r, p.Org.ID)
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) rotateAgentKey(w http.ResponseWriter, r *http.Request) {
	ag, key, err := a.RotateAgentKey(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.viewAgent(r.Context(), ag, key))
}

// agentTools exports an agent's tools as function-calling JSON.
func (a *API) agentTools(w http.ResponseWriter, r *http.Request) {
	_, ag, err := a.loadAgent(r, permRead)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = mcp.FormatMCP
	}
	if !slices.Contains(mcp.Formats, format) {
		a.fail(w, r, problem.BadRequest("format must be one of %s, got %q", strings.Join(mcp.Formats, ", "), format))
		return
	}
	tools, err := a.MCP.Tools(r.Context(), ag)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out, err := mcp.Export(tools, format)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agent": ag.ID, "format": format, "tools": out})
}

// agentsChanged brings connected MCP sessions up to date.
func (a *API) agentsChanged(r *http.Request, orgID string) {
	if a.MCP != nil {
		a.MCP.ToolsChanged(r.Context(), orgID)
	}
}
