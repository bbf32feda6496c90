package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/problem"
)

// agentToolModeSave sets how MCP lists the agent's tools: every tool, the
// search tools, or either by the number of tools (auto, with a threshold of
// the agent's own or the server's).
func (wb *Web) agentToolModeSave(w http.ResponseWriter, r *http.Request, v *visit) error {
	in := agent.Input{}
	mode := r.PostFormValue("tool_mode")
	in.ToolMode = &mode
	threshold := 0
	if s := strings.TrimSpace(r.PostFormValue("tool_search_threshold")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			wb.redirect(w, r, "/agents/"+r.PathValue("id"), "The tool listing was not changed: the threshold must be a whole number of tools, or empty for the server's default.")
			return nil
		}
		threshold = n
	}
	in.ToolSearchThreshold = &threshold
	_, err := wb.Agents.Update(r.Context(), v.p, r.PathValue("id"), in)
	if msg, ok := refusal(err); ok {
		if p, _ := problem.As(err); len(p.Errors) > 0 {
			var parts []string
			for _, fe := range p.Errors {
				parts = append(parts, strings.ReplaceAll(fe.Field, "_", " ")+" "+fe.Message)
			}
			msg = strings.Join(parts, "; ")
		}
		wb.redirect(w, r, "/agents/"+r.PathValue("id"), "The tool listing was not changed: "+msg)
		return nil
	}
	if err != nil {
		return err
	}
	wb.redirect(w, r, "/agents/"+r.PathValue("id"), "Saved how the agent's tools are listed; connected clients were told.")
	return nil
}
