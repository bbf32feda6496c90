package web

import (
	"net/http"
	"strconv"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
)

// tool is one MCP tool an action becomes.
type tool struct {
	Name, Key, Action, Method, Endpoint, Description string
}

// toolsOf lists the MCP tools of a definition.
func toolsOf(slug string, def *connector.Definition) []tool {
	out := make([]tool, 0, len(def.Actions))
	for _, a := range def.Actions {
		out = append(out, tool{Name: connector.ToolName(slug, a.Key), Key: a.Key, Action: a.Name, Method: a.Method, Endpoint: a.Endpoint, Description: a.Description})
	}
	return out
}

func (wb *Web) deployStep(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Read)
	if err != nil {
		return err
	}
	versions, err := wb.Integrations.Versions(r.Context(), v.p, t.Integration.ID)
	if err != nil {
		return err
	}
	var live []tool
	if t.Integration.DeployedVersion != 0 {
		dt, err := wb.Integrations.Get(r.Context(), v.p, t.Integration.ID, executor.VersionDeployed)
		if err != nil {
			return err
		}
		live = toolsOf(t.Integration.Slug, dt.Definition)
	}
	wb.render(w, r, v, http.StatusOK, "deploy", view{
		Title: "Deploy · " + t.Integration.Name, Nav: "integrations",
		Data: integrationData(t, "deploy", map[string]any{
			"Draft": toolsOf(t.Integration.Slug, t.Definition), "Live": live, "Versions": versions,
			"CanBuild": v.may(access.Build), "UpToDate": t.Integration.DeployedVersion == t.Integration.LatestVersion,
		}),
	})
	return nil
}

func (wb *Web) deploy(w http.ResponseWriter, r *http.Request, v *visit) error {
	version := 0
	if s := r.PostFormValue("version"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return badForm("pick a version to deploy")
		}
		version = n
	}
	t, err := wb.Integrations.Deploy(r.Context(), v.p, r.PathValue("id"), version)
	if err != nil {
		return err
	}
	wb.redirect(w, r, "/integrations/"+t.Integration.ID+"/deploy", "Deployed v"+itoa(t.Version)+". Your agents now see its tools.")
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
