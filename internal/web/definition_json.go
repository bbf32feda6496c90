package web

import (
	"encoding/json"
	"net/http"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/integration"
)

// The JSON tab is the advanced mode: the stored definition, indented. It
// is the same document the forms edit, so a change made in either shows
// in the other, and saving either without changes adds no version.

func (wb *Web) definitionJSON(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Read)
	if err != nil {
		return err
	}
	doc, err := json.MarshalIndent(t.Definition, "", "  ")
	if err != nil {
		return err
	}
	wb.renderJSON(w, r, v, http.StatusOK, t, string(doc), nil)
	return nil
}

func (wb *Web) renderJSON(w http.ResponseWriter, r *http.Request, v *visit, status int, t *integration.Target, doc string, errs map[string]string) {
	var list []string
	for f, m := range errs {
		if f == "" {
			list = append(list, m)
		} else {
			list = append(list, f+": "+m)
		}
	}
	wb.render(w, r, v, status, "definition_json", view{
		Title: "JSON · " + t.Integration.Name, Nav: "integrations", Problem: summary(list),
		Data: integrationData(t, "json", map[string]any{"Doc": doc, "CanBuild": v.may(access.Build), "Problems": list}),
	})
}

func (wb *Web) definitionJSONSave(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Build)
	if err != nil {
		return err
	}
	doc := r.PostFormValue("definition")
	saved, changed, err := wb.Integrations.Update(r.Context(), v.p, t.Integration.ID, []byte(doc))
	if errs, ok := formErrors(err); ok {
		wb.renderJSON(w, r, v, http.StatusUnprocessableEntity, t, doc, errs)
		return nil
	}
	if p, ok := refusal(err); ok {
		wb.renderJSON(w, r, v, http.StatusUnprocessableEntity, t, doc, map[string]string{"": p})
		return nil
	}
	if err != nil {
		return err
	}
	t = saved
	msg := "Nothing changed."
	if changed {
		msg = "Saved the definition as draft v" + itoa(t.Integration.LatestVersion) + "."
	}
	wb.redirect(w, r, "/integrations/"+t.Integration.ID+"/json", msg)
	return nil
}
