package web

import (
	"encoding/json"
	"net/http"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/integration"
)

// A new integration is stored only once it has its first action, since a
// definition without actions is not valid: step 1's details travel in a
// hidden field of the first action's form until then.

func (wb *Web) integrationNewForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.p.May(access.Build); err != nil {
		return err
	}
	wb.renderNewDetails(w, r, v, http.StatusOK, detailsForm{AuthType: connector.AuthAPIKey, Location: "header"}, nil)
	return nil
}

func (wb *Web) renderNewDetails(w http.ResponseWriter, r *http.Request, v *visit, status int, f detailsForm, errs map[string]string) {
	wb.render(w, r, v, status, "integration_new", view{
		Title: "New integration", Nav: "integrations", Errors: errs,
		Problem: summary(otherErrors(errs, func(f string) bool { return f == "actions" || contains(detailsFields, f) })),
		Data:    map[string]any{"F": f, "AuthTypes": authTypes},
	})
}

func (wb *Web) integrationNew(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.p.May(access.Build); err != nil {
		return err
	}
	def := applyDetails(r, &connector.Definition{})
	_, _, err := integration.Encode(def)
	errs, ok := formErrors(err)
	if err != nil && !ok {
		return err
	}
	delete(errs, "actions") // the next step adds the first one
	if len(errs) > 0 {
		wb.renderNewDetails(w, r, v, http.StatusUnprocessableEntity, detailsOf(def), errs)
		return nil
	}
	draft, err := json.Marshal(def)
	if err != nil {
		return err
	}
	wb.renderFirstAction(w, r, v, http.StatusOK, string(draft), def.Name, actionFormOf(nil), nil, nil)
	return nil
}

func (wb *Web) renderFirstAction(w http.ResponseWriter, r *http.Request, v *visit, status int, draft, name string, f actionForm, errs map[string]string, rest []string) {
	wb.render(w, r, v, status, "action_first", view{
		Title: "Add the first action", Nav: "integrations", Errors: errs, Problem: summary(rest),
		Data: map[string]any{"Draft": draft, "Name": name, "F": f, "Methods": methods, "Types": paramTypes, "Locations": locations, "BodyTypes": bodyTypes},
	})
}

func (wb *Web) integrationNewAction(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.p.May(access.Build); err != nil {
		return err
	}
	draft := r.PostFormValue("draft")
	var def connector.Definition
	if err := json.Unmarshal([]byte(draft), &def); err != nil {
		return badForm("the integration's details were lost on the way; start again from New integration")
	}
	a, form := actionFromForm(r, nil)
	if r.PostFormValue("add_row") != "" {
		form.addBlankRows()
		wb.renderFirstAction(w, r, v, http.StatusOK, draft, def.Name, form, nil, nil)
		return nil
	}
	def.Actions = []connector.Action{a}
	t, errs, err := wb.createIntegration(r, v, &def)
	if err != nil {
		return err
	}
	if errs != nil {
		fields, rest := form.attachErrors(errs, 0)
		form.addBlankRows()
		wb.renderFirstAction(w, r, v, http.StatusUnprocessableEntity, draft, def.Name, form, fields, rest)
		return nil
	}
	wb.redirect(w, r, "/integrations/"+t.Integration.ID+"/actions", "Created "+t.Integration.Name+" as a draft with its first action. Add more actions, or go on to test it.")
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
