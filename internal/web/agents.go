package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/store"
)

// grantable is a deployed integration whose tools an agent may be given.
type grantable struct {
	In    store.Integration
	Tools []tool
}

type agentRow struct {
	A     store.Agent
	Tools []string
}

func (wb *Web) agentList(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermRead); err != nil {
		return err
	}
	agents, err := wb.Store.ListAgents(r.Context(), v.p.Org.ID)
	if err != nil {
		return err
	}
	rows := make([]agentRow, 0, len(agents))
	for _, ag := range agents {
		rows = append(rows, agentRow{A: ag, Tools: wb.agentToolNames(r, ag)})
	}
	g, err := wb.grantables(r, v)
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "agents", view{Title: "Agents", Nav: "agents", Data: map[string]any{
		"Rows": rows, "Grantable": g, "CanManage": v.may(api.PermManageOrg) == nil,
	}})
	return nil
}

func (wb *Web) agentToolNames(r *http.Request, ag store.Agent) []string {
	if wb.MCP == nil || !ag.RevokedAt.IsZero() {
		return nil
	}
	tools, err := wb.MCP.Tools(r.Context(), ag)
	if err != nil {
		return nil
	}
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.Name
	}
	return names
}

// grantables lists the deployed integrations and their tools.
func (wb *Web) grantables(r *http.Request, v *visit) ([]grantable, error) {
	ints, err := wb.Store.ListIntegrations(r.Context(), v.p.Org.ID)
	if err != nil {
		return nil, err
	}
	var out []grantable
	for _, in := range ints {
		if in.DeployedVersion == 0 {
			continue
		}
		t, err := wb.Executor.Load(r.Context(), v.p.Org.ID, in.ID, connector.Production, executor.VersionDeployed)
		if err != nil {
			continue
		}
		out = append(out, grantable{In: in, Tools: toolsOf(in.Slug, t.Definition)})
	}
	return out, nil
}

// agentCreate creates an agent with the tools ticked in the form and shows
// its key and MCP settings once.
func (wb *Web) agentCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermManageOrg); err != nil {
		return err
	}
	tools := toolsFromForm(r)
	ag, key, err := wb.API.CreateAgent(r.Context(), v.p, r.PostFormValue("name"), tools)
	if p, ok := asProblem(err); ok && p.Status < 500 {
		wb.redirect(w, r, "/agents", "The agent was not created: "+p.Detail)
		return nil
	}
	if err != nil {
		return err
	}
	wb.Logger.InfoContext(r.Context(), "agent created in the dashboard", "agent_id", ag.ID, "user_id", v.p.User.ID)
	wb.render(w, r, v, http.StatusCreated, "agent_created", view{Title: "Agent created", Nav: "agents", Data: map[string]any{
		"A": ag, "Key": key, "MCPURL": wb.PublicURL + "/mcp", "Tools": wb.agentToolNames(r, ag), "Config": mcpConfig(wb.PublicURL+"/mcp", ag.Name, key),
	}})
	return nil
}

// mcpConfig is the settings block most MCP clients accept.
func mcpConfig(url, name, key string) string {
	cfg := map[string]any{"mcpServers": map[string]any{connector.Slug(name): map[string]any{
		"type": "http", "url": url, "headers": map[string]string{"Authorization": "Bearer " + key},
	}}}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	return string(b)
}

func (wb *Web) agentDetail(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermRead); err != nil {
		return err
	}
	ag, err := wb.Store.GetAgent(r.Context(), v.p.Org.ID, r.PathValue("id"))
	if err != nil {
		return orNotFound(err, "agent")
	}
	grantable, err := wb.grantables(r, v)
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "agent", view{Title: ag.Name, Nav: "agents", Data: map[string]any{
		"A": ag, "MCPURL": wb.PublicURL + "/mcp", "Tools": wb.agentToolNames(r, ag), "Config": mcpConfig(wb.PublicURL+"/mcp", ag.Name, "<the agent key>"),
		"CanManage": v.may(api.PermManageOrg) == nil, "Grantable": grantable, "Checked": grantChecks(ag),
	}})
	return nil
}

func (wb *Web) agentRevoke(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermManageOrg); err != nil {
		return err
	}
	if err := wb.Store.RevokeAgent(r.Context(), v.p.Org.ID, r.PathValue("id")); err != nil {
		return orNotFound(err, "active agent")
	}
	if wb.MCP != nil {
		wb.MCP.ToolsChanged(r.Context(), v.p.Org.ID)
	}
	wb.redirect(w, r, "/agents", "Revoked the agent; its key no longer works.")
	return nil
}

// agentRotate gives the agent a new key and shows it once.
func (wb *Web) agentRotate(w http.ResponseWriter, r *http.Request, v *visit) error {
	ag, key, err := wb.API.RotateAgentKey(r.Context(), v.p, r.PathValue("id"))
	if p, ok := asProblem(err); ok && p.Status < 500 && p.Status != http.StatusForbidden && p.Status != http.StatusNotFound {
		wb.redirect(w, r, "/agents/"+r.PathValue("id"), "The key was not rotated: "+p.Detail)
		return nil
	}
	if err != nil {
		return err
	}
	wb.Logger.InfoContext(r.Context(), "agent key rotated in the dashboard", "agent_id", ag.ID, "user_id", v.p.User.ID)
	wb.render(w, r, v, http.StatusOK, "agent_created", view{Title: "New key", Nav: "agents", Data: map[string]any{
		"A": ag, "Key": key, "Rotated": true, "MCPURL": wb.PublicURL + "/mcp", "Tools": wb.agentToolNames(r, ag), "Config": mcpConfig(wb.PublicURL+"/mcp", ag.Name, key),
	}})
	return nil
}

// toolsFromForm reads the grant checkboxes: "grant" ticks every tool of an
// integration, "action" (integration:action) ticks one.
func toolsFromForm(r *http.Request) []api.AgentTool {
	env := r.PostFormValue("environment")
	all := map[string]bool{}
	for _, id := range r.PostForm["grant"] {
		all[id] = true
	}
	picked := map[string][]string{}
	var order []string
	for _, s := range r.PostForm["action"] {
		id, key, ok := strings.Cut(s, ":")
		if !ok {
			continue
		}
		if _, seen := picked[id]; !seen {
			order = append(order, id)
		}
		picked[id] = append(picked[id], key)
	}
	var tools []api.AgentTool
	for _, id := range r.PostForm["grant"] {
		tools = append(tools, api.AgentTool{Integration: id, Environment: env})
	}
	for _, id := range order {
		if !all[id] {
			tools = append(tools, api.AgentTool{Integration: id, Actions: picked[id], Environment: env})
		}
	}
	return tools
}

// agentToolsSave replaces the agent's grants with the ticked tools.
func (wb *Web) agentToolsSave(w http.ResponseWriter, r *http.Request, v *visit) error {
	tools := toolsFromForm(r)
	// The form picks tools; each integration keeps the environment and
	// run-as user its grant had.
	if ag, err := wb.Store.GetAgent(r.Context(), v.p.Org.ID, r.PathValue("id")); err == nil {
		for i := range tools {
			for _, g := range ag.Grants {
				if g.IntegrationID == tools[i].Integration {
					tools[i].Environment, tools[i].RunAs = g.Environment, g.RunAs
				}
			}
		}
	}
	_, err := wb.API.UpdateAgentTools(r.Context(), v.p, r.PathValue("id"), tools)
	if p, ok := asProblem(err); ok && p.Status < 500 && p.Status != http.StatusForbidden && p.Status != http.StatusNotFound {
		wb.redirect(w, r, "/agents/"+r.PathValue("id"), "The tools were not changed: "+p.Detail)
		return nil
	}
	if err != nil {
		return err
	}
	wb.redirect(w, r, "/agents/"+r.PathValue("id"), "Saved the agent's tools; connected clients were told.")
	return nil
}

// grantChecks marks the checkboxes an agent's grants tick: "all:<id>" for
// every tool of an integration, "<id>:<action>" for one.
func grantChecks(ag store.Agent) map[string]bool {
	out := map[string]bool{}
	for _, g := range ag.Grants {
		if len(g.Actions) == 0 {
			out["all:"+g.IntegrationID] = true
		}
		for _, a := range g.Actions {
			out[g.IntegrationID+":"+a] = true
		}
	}
	return out
}
