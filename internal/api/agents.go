package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

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
	ToolMode     string      `json:"tool_mode"`
	// ToolSearchThreshold is the agent's own threshold; 0 takes the
	// server's.
	ToolSearchThreshold int `json:"tool_search_threshold"`
	// MaxResultBytes is the budget of a result returned inline.
	MaxResultBytes int `json:"max_result_bytes"`
}

func (a *API) viewAgent(ctx context.Context, p access.Principal, ag store.Agent, key string) agentView {
	v := agentView{ID: ag.ID, Name: ag.Name, Key: key, KeyPrefix: ag.KeyPrefix, Tools: []grantView{}, MCPURL: a.PublicURL + "/mcp",
		CreatedAt: ag.CreatedAt, UpdatedAt: ag.UpdatedAt, KeyRotatedAt: ag.KeyRotatedAt, RevokedAt: ag.RevokedAt,
		ToolMode: ag.ToolMode, ToolSearchThreshold: ag.ToolSearchThreshold,
		MaxResultBytes: agent.Budget(ag)}
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
		if t, err := a.Integrations.Get(ctx, p, g.IntegrationID, 0); err == nil {
			gv.Slug = t.Integration.Slug
		}
		v.Tools = append(v.Tools, gv)
	}
	return v
}

func (a *API) createAgent(w http.ResponseWriter, r *http.Request) {
	var in agent.Input
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	ag, key, err := a.Agents.Create(r.Context(), principal(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a.viewAgent(r.Context(), principal(r), ag, key))
}

func (a *API) listAgents(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	list, err := a.Agents.List(r.Context(), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]agentView, 0, len(list))
	for _, ag := range list {
		out = append(out, a.viewAgent(r.Context(), p, ag, ""))
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": out})
}

func (a *API) getAgent(w http.ResponseWriter, r *http.Request) {
	ag, err := a.Agents.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.viewAgent(r.Context(), principal(r), ag, ""))
}

func (a *API) updateAgent(w http.ResponseWriter, r *http.Request) {
	var in agent.Input
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	ag, err := a.Agents.Update(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.viewAgent(r.Context(), principal(r), ag, ""))
}

func (a *API) revokeAgent(w http.ResponseWriter, r *http.Request) {
	if err := a.Agents.Revoke(r.Context(), principal(r), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) rotateAgentKey(w http.ResponseWriter, r *http.Request) {
	ag, key, err := a.Agents.RotateKey(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.viewAgent(r.Context(), principal(r), ag, key))
}

// agentTools exports an agent's tools as function-calling JSON.
func (a *API) agentTools(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = agent.FormatMCP
	}
	if !slices.Contains(agent.Formats, format) {
		a.fail(w, r, problem.BadRequest("format must be one of %s, got %q", strings.Join(agent.Formats, ", "), format))
		return
	}
	tools, err := a.Agents.ToolsOf(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out, err := agent.Export(tools, format)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agent": r.PathValue("id"), "format": format, "tools": out})
}
