package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/fit"
	"github.com/plugboard/plugboard/internal/problem"
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
	return wb.renderAgents(w, r, v, http.StatusOK, view{})
}

// renderAgents shows the agents and the new-agent form; a refused form
// comes back with what was typed and ticked, and the reason.
func (wb *Web) renderAgents(w http.ResponseWriter, r *http.Request, v *visit, status int, page view) error {
	agents, err := wb.Agents.List(r.Context(), v.p)
	if err != nil {
		return err
	}
	rows := make([]agentRow, 0, len(agents))
	for _, ag := range agents {
		rows = append(rows, agentRow{A: ag, Tools: wb.agentToolNames(r, v, ag)})
	}
	g, err := wb.grantables(r, v)
	if err != nil {
		return err
	}
	ticked := map[string]bool{}
	if r.Method == http.MethodPost {
		for _, k := range append(r.PostForm["grant"], r.PostForm["action"]...) {
			ticked[k] = true
		}
	}
	page.Title, page.Nav = "Agents", "agents"
	page.Data = map[string]any{
		"Rows": rows, "Grantable": g, "CanManage": v.may(access.ManageOrg),
		"Name": r.PostFormValue("name"), "Environment": r.PostFormValue("environment"), "Ticked": ticked,
	}
	wb.render(w, r, v, status, "agents", page)
	return nil
}

func (wb *Web) agentToolNames(r *http.Request, v *visit, ag store.Agent) []string {
	names, _ := wb.agentTools(r, v, ag)
	return names
}

// agentTools lists the names of the tools an agent calls now, and how MCP
// lists them.
func (wb *Web) agentTools(r *http.Request, v *visit, ag store.Agent) ([]string, agent.Listing) {
	tools, err := wb.Agents.ToolsOf(r.Context(), v.p, ag.ID)
	if err != nil {
		return nil, agent.Listing{}
	}
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.Name
	}
	return names, wb.Agents.ListingOf(ag, tools)
}

// grantables lists the deployed integrations the member may see, and their
// tools.
func (wb *Web) grantables(r *http.Request, v *visit) ([]grantable, error) {
	deployed, err := wb.Integrations.Deployed(r.Context(), v.p)
	if err != nil {
		return nil, err
	}
	out := make([]grantable, 0, len(deployed))
	for _, t := range deployed {
		out = append(out, grantable{In: t.Integration, Tools: toolsOf(t.Integration.Slug, t.Definition)})
	}
	return out, nil
}

// agentCreate creates an agent with the tools ticked in the form and shows
// its key and MCP settings once.
func (wb *Web) agentCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	name, tools := r.PostFormValue("name"), toolsFromForm(r)
	ag, key, err := wb.Agents.Create(r.Context(), v.p, agent.Input{Name: &name, Tools: &tools})
	if errs, ok := formErrors(err); ok {
		return wb.renderAgents(w, r, v, http.StatusUnprocessableEntity, view{Errors: errs, Problem: "The agent was not created."})
	}
	if msg, ok := refusal(err); ok {
		return wb.renderAgents(w, r, v, http.StatusUnprocessableEntity, view{Problem: "The agent was not created: " + msg})
	}
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusCreated, "agent_created", view{Title: "Agent created", Nav: "agents", Data: map[string]any{
		"A": ag, "Key": key, "MCPURL": wb.PublicURL + "/mcp", "Tools": wb.agentToolNames(r, v, ag), "Config": mcpConfig(wb.PublicURL+"/mcp", ag.Name, key),
	}})
	return nil
}

// mcpConfig is the settings block most MCP clients accept, as a person
// copies it: "<the agent key>" stays as written (the page's template
// escapes it for HTML, not the JSON encoder as \u003c).
func mcpConfig(url, name, key string) string {
	cfg := map[string]any{"mcpServers": map[string]any{connector.Slug(name): map[string]any{
		"type": "http", "url": url, "headers": map[string]string{"Authorization": "Bearer " + key},
	}}}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(cfg)
	return strings.TrimSuffix(b.String(), "\n")
}

func (wb *Web) agentDetail(w http.ResponseWriter, r *http.Request, v *visit) error {
	ag, err := wb.Agents.Get(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	grantable, err := wb.grantables(r, v)
	if err != nil {
		return err
	}
	names, listing := wb.agentTools(r, v, ag)
	wb.render(w, r, v, http.StatusOK, "agent", view{Title: ag.Name, Nav: "agents", Data: map[string]any{
		"A": ag, "MCPURL": wb.PublicURL + "/mcp", "Tools": names, "Listing": listing, "Config": mcpConfig(wb.PublicURL+"/mcp", ag.Name, "<the agent key>"),
		"CanManage": v.may(access.ManageOrg), "Grantable": grantable, "Checked": grantChecks(ag), "Budget": fit.DefaultBudget,
	}})
	return nil
}

// agentBudgetSave sets the agent's result budget; empty is the default.
func (wb *Web) agentBudgetSave(w http.ResponseWriter, r *http.Request, v *visit) error {
	back := "/agents/" + r.PathValue("id")
	budget := 0
	if raw := strings.TrimSpace(r.PostFormValue("max_result_bytes")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			wb.redirect(w, r, back, "The budget was not changed: give a whole number of bytes, or leave it empty for the default.")
			return nil
		}
		budget = n
	}
	_, err := wb.Agents.Update(r.Context(), v.p, r.PathValue("id"), agent.Input{MaxResultBytes: &budget})
	if p, ok := problem.As(err); ok && len(p.Errors) > 0 {
		wb.redirect(w, r, back, "The budget was not changed: it "+p.Errors[0].Message+".")
		return nil
	}
	if msg, ok := refusal(err); ok {
		wb.redirect(w, r, back, "The budget was not changed: "+msg)
		return nil
	}
	if err != nil {
		return err
	}
	wb.redirect(w, r, back, "Saved the result budget.")
	return nil
}

func (wb *Web) agentRevoke(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := wb.Agents.Revoke(r.Context(), v.p, r.PathValue("id")); err != nil {
		return err
	}
	wb.redirect(w, r, "/agents", "Revoked the agent; its key no longer works.")
	return nil
}

// agentRotate gives the agent a new key and shows it once.
func (wb *Web) agentRotate(w http.ResponseWriter, r *http.Request, v *visit) error {
	ag, key, err := wb.Agents.RotateKey(r.Context(), v.p, r.PathValue("id"))
	if msg, ok := refusal(err); ok {
		wb.redirect(w, r, "/agents/"+r.PathValue("id"), "The key was not rotated: "+msg)
		return nil
	}
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "agent_created", view{Title: "New key", Nav: "agents", Data: map[string]any{
		"A": ag, "Key": key, "Rotated": true, "MCPURL": wb.PublicURL + "/mcp", "Tools": wb.agentToolNames(r, v, ag), "Config": mcpConfig(wb.PublicURL+"/mcp", ag.Name, key),
	}})
	return nil
}

// toolsFromForm reads the grant checkboxes: "grant" ticks every tool of an
// integration, "action" (integration:action) ticks one.
func toolsFromForm(r *http.Request) []agent.Grant {
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
	tools := []agent.Grant{}
	for _, id := range r.PostForm["grant"] {
		tools = append(tools, agent.Grant{Integration: id, Environment: env})
	}
	for _, id := range order {
		if !all[id] {
			tools = append(tools, agent.Grant{Integration: id, Actions: picked[id], Environment: env})
		}
	}
	return tools
}

// agentToolsSave replaces the agent's grants with the ticked tools.
func (wb *Web) agentToolsSave(w http.ResponseWriter, r *http.Request, v *visit) error {
	tools := toolsFromForm(r)
	// The form picks tools; each integration keeps the environment and
	// run-as member its grant had.
	if ag, err := wb.Agents.Get(r.Context(), v.p, r.PathValue("id")); err == nil {
		for i := range tools {
			for _, g := range ag.Grants {
				if g.IntegrationID == tools[i].Integration {
					tools[i].Environment, tools[i].RunAs = g.Environment, g.RunAs
				}
			}
		}
	}
	_, err := wb.Agents.Update(r.Context(), v.p, r.PathValue("id"), agent.Input{Tools: &tools})
	if msg, ok := refusal(err); ok {
		wb.redirect(w, r, "/agents/"+r.PathValue("id"), "The tools were not changed: "+msg)
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
