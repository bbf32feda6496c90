package web

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/store"
)

type integrationRow struct {
	In      store.Integration
	Auth    string
	Actions int
	BaseURL string
}

func (wb *Web) integrationList(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermRead); err != nil {
		return err
	}
	list, err := wb.Store.ListIntegrations(r.Context(), v.p.Org.ID)
	if err != nil {
		return err
	}
	rows := make([]integrationRow, 0, len(list))
	for _, in := range list {
		if ok, err := api.CanUseIntegration(r.Context(), wb.Store, v.p, in.ID); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		row := integrationRow{In: in}
		if t, err := wb.Executor.Load(r.Context(), v.p.Org.ID, in.ID, connector.Sandbox, executor.VersionLatest); err == nil {
			row.Auth, row.Actions, row.BaseURL = t.Definition.Auth.Type, len(t.Definition.Actions), t.Definition.BaseURL
		}
		rows = append(rows, row)
	}
	canBuild := v.may(api.PermBuild) == nil
	wb.render(w, r, v, http.StatusOK, "integrations", view{Title: "Integrations", Nav: "integrations", Data: map[string]any{"Rows": rows, "CanBuild": canBuild}})
	return nil
}
