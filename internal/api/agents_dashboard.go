package api

import (
	"context"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// AgentTool is one grant of tools, as the dashboard's form submits it: the
// same shape and checks as an entry of "tools" in POST /v1/agents.
type AgentTool = grantInput

// CreateAgent creates an agent for p exactly as POST /v1/agents does,
// so the dashboard shares its checks of the grants, and returns the agent
// with its key, which is shown once and stored only hashed.
func (a *API) CreateAgent(ctx context.Context, p store.Principal, name string, tools []AgentTool) (store.Agent, string, error) {
	if err := authorize(p, permManageOrg); err != nil {
		return store.Agent{}, "", err
	}
	if strings.TrimSpace(name) == "" {
		return store.Agent{}, "", problem.Invalid("name is required", []problem.FieldError{{Field: "name", Message: "give the agent a name, e.g. \"support bot\""}})
	}
	grants, err := a.grants(ctx, p.Org.ID, tools)
	if err != nil {
		return store.Agent{}, "", err
	}
	key, prefix, hash := newAgentKey()
	ag, err := a.Store.CreateAgent(ctx, store.Agent{OrgID: p.Org.ID, Name: strings.TrimSpace(name), KeyPrefix: prefix, Grants: grants, CreatedBy: p.User.ID}, hash)
	if err != nil {
		return store.Agent{}, "", err
	}
	return ag, key, nil
}

// RotateAgentKey gives an active agent a new key, shown once; the old key
// stops working on its next request. The API's rotate-key route and the
// dashboard both use it.
func (a *API) RotateAgentKey(ctx context.Context, p store.Principal, agentID string) (store.Agent, string, error) {
	if err := authorize(p, permManageOrg); err != nil {
		return store.Agent{}, "", err
	}
	ag, err := a.Store.GetAgent(ctx, p.Org.ID, agentID)
	if err != nil {
		return store.Agent{}, "", orNotFound(err, "agent", agentID)
	}
	if !ag.RevokedAt.IsZero() {
		return store.Agent{}, "", problem.Conflict("agent %q was revoked; create a new agent instead", ag.Name)
	}
	key, prefix, hash := newAgentKey()
	if err := a.Store.RotateAgentKey(ctx, p.Org.ID, ag.ID, prefix, hash); err != nil {
		return store.Agent{}, "", err
	}
	ag, err = a.Store.GetAgent(ctx, p.Org.ID, ag.ID)
	return ag, key, err
}

// UpdateAgentTools replaces an agent's grants with the same checks as
// PATCH /v1/agents/{id}; connected MCP sessions are told their tools
// changed.
func (a *API) UpdateAgentTools(ctx context.Context, p store.Principal, agentID string, tools []AgentTool) (store.Agent, error) {
	if err := authorize(p, permManageOrg); err != nil {
		return store.Agent{}, err
	}
	ag, err := a.Store.GetAgent(ctx, p.Org.ID, agentID)
	if err != nil {
		return store.Agent{}, orNotFound(err, "agent", agentID)
	}
	if !ag.RevokedAt.IsZero() {
		return store.Agent{}, problem.Conflict("agent %q was revoked; create a new agent instead", ag.Name)
	}
	if ag.Grants, err = a.grants(ctx, p.Org.ID, tools); err != nil {
		return store.Agent{}, err
	}
	if ag, err = a.Store.UpdateAgent(ctx, ag); err != nil {
		return store.Agent{}, err
	}
	if a.MCP != nil {
		a.MCP.ToolsChanged(ctx, p.Org.ID)
	}
	return ag, nil
}
