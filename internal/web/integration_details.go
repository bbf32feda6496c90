package web

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/problem"
)

// integrationData is what the integration pages share: the head and tabs.
func integrationData(t *executor.Target, tab string, extra map[string]any) map[string]any {
	m := map[string]any{"In": t.Integration, "Tab": tab, "Def": t.Definition}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func badForm(msg string) error { return problem.BadRequest("%s", msg) }

func (wb *Web) integrationDetails(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, api.PermRead)
	if err != nil {
		return err
	}
	wb.renderDetails(w, r, v, http.StatusOK, t, detailsOf(t.Definition), nil)
	return nil
}

func (wb *Web) renderDetails(w http.ResponseWriter, r *http.Request, v *visit, status int, t *executor.Target, f detailsForm, errs map[string]string) {
	wb.render(w, r, v, status, "integration_details", view{
		Title: t.Integration.Name, Nav: "integrations", Errors: errs,
		Problem: summary(otherErrors(errs, func(f string) bool { return contains(detailsFields, f) })),
		Data:    integrationData(t, "details", map[string]any{"F": f, "AuthTypes": authTypes, "CanBuild": v.may(api.PermBuild) == nil}),
	})
}

func (wb *Web) integrationDetailsSave(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, api.PermBuild)
	if err != nil {
		return err
	}
	def := applyDetails(r, t.Definition)
	changed, errs, err := wb.saveDraft(r.Context(), v, t, def)
	if err != nil {
		return err
	}
	if errs != nil {
		wb.renderDetails(w, r, v, http.StatusUnprocessableEntity, t, detailsOf(def), errs)
		return nil
	}
	msg := "Nothing changed."
	if changed {
		msg = "Saved the API details as draft v" + itoa(t.Integration.LatestVersion) + "."
	}
	wb.redirect(w, r, "/integrations/"+t.Integration.ID, msg)
	return nil
}
