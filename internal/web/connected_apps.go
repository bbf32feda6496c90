package web

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/connectedapp"
)

// appRow is a connected app as its person's list shows it.
type appRow struct {
	connectedapp.App
	Name   string
	Origin string
	Tools  []string
}

// appList shows the apps the member connected with OAuth: which tools
// each may call, when it was last used, and a button that disconnects it.
func (wb *Web) appList(w http.ResponseWriter, r *http.Request, v *visit) error {
	apps, err := wb.Apps.List(r.Context(), v.p)
	if err != nil {
		return err
	}
	rows := make([]appRow, 0, len(apps))
	for _, a := range apps {
		rows = append(rows, appRow{App: a, Name: a.Agent.Name, Origin: connectedapp.Origin(a.Client), Tools: wb.agentToolNames(r, v, a.Agent)})
	}
	wb.render(w, r, v, http.StatusOK, "apps", view{Title: "Connected apps", Nav: "apps", Data: map[string]any{
		"Rows": rows, "MCPURL": wb.PublicURL + "/mcp",
	}})
	return nil
}

// appRevoke disconnects one of the member's apps at once.
func (wb *Web) appRevoke(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := wb.Apps.Revoke(r.Context(), v.p, r.PathValue("id")); err != nil {
		if msg, ok := refusal(err); ok {
			wb.redirect(w, r, "/apps", msg)
			return nil
		}
		return err
	}
	wb.redirect(w, r, "/apps", "Disconnected the app: its tokens no longer work and its open sessions were closed.")
	return nil
}

// ProblemPage shows a refusal to a person who may not be signed in, for
// the pages of other surfaces (the OAuth authorization endpoint).
func (wb *Web) ProblemPage(w http.ResponseWriter, r *http.Request, status int, title, detail string) {
	v, err := wb.load(w, r)
	if err != nil {
		v = &visit{}
	}
	wb.render(w, r, v, status, "error", view{Title: title, Problem: detail, Data: map[string]any{"Status": status}})
}
