package web

import (
	"net/http"
	"strconv"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/mcp"
)

// tool is one MCP tool an action becomes.
type tool struct {
	Name, Key, Action, Method, Endpoint, Description string
}

// toolsOf lists the MCP tools of a definition: <slug>__<action key>.
func toolsOf(slug string, def *connector.Definition) []tool {
	out := make([]tool, 0, len(def.Actions))
	for _, a := range def.Actions {
		out = append(out, tool{Name: mcp.ToolName(slug, a.Key), Key: a.Key, Action: a.Name, Method: a.Method, Endpoint: a.Endpoint, Description: a.Description})
	}
	return out
}

func (wb *Web) deployStep(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, api.PermRead)
	if err != nil {
		return err
	}
	versions, err := wb.Store.ListVersions(r.Context(), t.Integration.ID)
	if err != nil {
		return err
	}
	var live []tool
	if d := t.Integration.DeployedVersion; d != 0 {
		dt, err := wb.Executor.Load(r.Context(), v.p.Org.ID, t.Integration.ID, connector.Production, executor.VersionDeployed)
		if err != nil {
			return err
		}
		live = toolsOf(t.Integration.Slug, dt.Definition)
	}
	wb.render(w, r, v, http.StatusOK, "deploy", view{
		Title: "Deploy · " + t.Integration.Name, Nav: "integrations",
		Data: integrationData(t, "deploy", map[string]any{
			"Draft": toolsOf(t.Integration.Slug, t.Definition), "Live": live, "Versions": versions,
			"CanBuild": v.may(api.PermBuild) == nil, "UpToDate": t.Integration.DeployedVersion == t.Integration.LatestVersion,
		}),
	})
	return nil
}

func (wb *Web) deploy(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, api.PermBuild)
	if err != nil {
		return err
	}
	version := t.Version
	if s := r.PostFormValue("version"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > t.Integration.LatestVersion {
			return badForm("pick a version from 1 to " + itoa(t.Integration.LatestVersion))
		}
		version = n
	}
	in, err := wb.Store.Deploy(r.Context(), v.p.Org.ID, t.Integration.ID, version)
	if err != nil {
		return err
	}
	if wb.OnDeploy != nil {
		wb.OnDeploy(r.Context(), in)
	}
	wb.Logger.InfoContext(r.Context(), "integration deployed from the dashboard", "integration_id", in.ID, "version", version, "user_id", v.p.User.ID)
	wb.redirect(w, r, "/integrations/"+in.ID+"/deploy", "Deployed v"+itoa(version)+". Your agents now see its tools.")
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
