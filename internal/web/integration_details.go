package web

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/problem"
)

// integrationData is what the integration pages share: the head and tabs.
func integrationData(t *integration.Target, tab string, extra map[string]any) map[string]any {
	m := map[string]any{"In": t.Integration, "Tab": tab, "Def": t.Definition}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func badForm(msg string) error { return problem.BadRequest("%s", msg) }

// badFormField is a form's own check of one field (a value that is not even
// a number), shown next to the field like the application layer's.
func badFormField(field, msg string) error {
	return problem.Invalid(field+": "+msg, []problem.FieldError{{Field: field, Message: msg}})
}

func (wb *Web) integrationDetails(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Read)
	if err != nil {
		return err
	}
	wb.renderDetails(w, r, v, http.StatusOK, t, detailsOf(t.Definition), nil)
	return nil
}

func (wb *Web) renderDetails(w http.ResponseWriter, r *http.Request, v *visit, status int, t *integration.Target, f detailsForm, errs map[string]string) {
	wb.render(w, r, v, status, "integration_details", view{
		Title: t.Integration.Name, Nav: "integrations", Errors: errs,
		Problem: summary(otherErrors(errs, func(f string) bool { return contains(detailsFields, f) })),
		Data:    integrationData(t, "details", map[string]any{"F": f, "AuthTypes": authTypes, "CanBuild": v.may(access.Build)}),
	})
}

func (wb *Web) integrationDetailsSave(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Build)
	if err != nil {
		return err
	}
	def := applyDetails(r, t.Definition)
	changed, errs, err := wb.saveDraft(r, v, t, def)
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
