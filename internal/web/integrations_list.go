package web

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/store"
)

type integrationRow struct {
	In      store.Integration
	Auth    string
	Actions int
	BaseURL string
}

func (wb *Web) integrationList(w http.ResponseWriter, r *http.Request, v *visit) error {
	list, err := wb.Integrations.List(r.Context(), v.p)
	if err != nil {
		return err
	}
	rows := make([]integrationRow, 0, len(list))
	for _, t := range list {
		rows = append(rows, integrationRow{In: t.Integration, Auth: t.Definition.Auth.Type, Actions: len(t.Definition.Actions), BaseURL: t.Definition.BaseURL})
	}
	wb.render(w, r, v, http.StatusOK, "integrations", view{Title: "Integrations", Nav: "integrations", Data: map[string]any{"Rows": rows, "CanBuild": v.may(access.Build)}})
	return nil
}
