package web

import (
	"net/http"
	"slices"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/problem"
)

func (wb *Web) actionList(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Read)
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "actions", view{
		Title: "Actions · " + t.Integration.Name, Nav: "integrations",
		Data: integrationData(t, "actions", map[string]any{"CanBuild": v.may(access.Build)}),
	})
	return nil
}

// actionAt finds the action a URL names, by key.
func actionAt(t *integration.Target, key string) (int, *connector.Action, error) {
	for i := range t.Definition.Actions {
		if t.Definition.Actions[i].Key == key {
			return i, &t.Definition.Actions[i], nil
		}
	}
	return -1, nil, problem.NotFound("integration %q has no action %q", t.Integration.Name, key)
}

func (wb *Web) actionEdit(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Read)
	if err != nil {
		return err
	}
	var a *connector.Action
	index := len(t.Definition.Actions)
	if key := r.PathValue("key"); key != "" {
		if index, a, err = actionAt(t, key); err != nil {
			return err
		}
	}
	wb.renderAction(w, r, v, http.StatusOK, t, index, actionFormOf(a), nil, nil)
	return nil
}

func (wb *Web) renderAction(w http.ResponseWriter, r *http.Request, v *visit, status int, t *integration.Target, index int, f actionForm, errs map[string]string, rest []string) {
	title := "New action"
	if f.OrigKey != "" {
		title = "Edit " + f.OrigKey
	}
	wb.render(w, r, v, status, "action_edit", view{
		Title: title + " · " + t.Integration.Name, Nav: "integrations", Errors: errs, Problem: summary(rest),
		Data: integrationData(t, "actions", map[string]any{
			"F": f, "Index": index, "New": f.OrigKey == "", "Heading": title,
			"Methods": methods, "Types": paramTypes, "Locations": locations, "BodyTypes": bodyTypes, "CanBuild": v.may(access.Build),
		}),
	})
}

func (wb *Web) actionSave(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Build)
	if err != nil {
		return err
	}
	index := len(t.Definition.Actions)
	var orig *connector.Action
	if key := r.PathValue("key"); key != "" {
		if index, orig, err = actionAt(t, key); err != nil {
			return err
		}
	}
	a, form := actionFromForm(r, orig)
	if r.PostFormValue("add_row") != "" {
		form.addBlankRows()
		wb.renderAction(w, r, v, http.StatusOK, t, index, form, nil, nil)
		return nil
	}
	def := *t.Definition
	def.Actions = slices.Clone(t.Definition.Actions)
	if orig == nil {
		def.Actions = append(def.Actions, a)
	} else {
		def.Actions[index] = a
	}
	changed, errs, err := wb.saveDraft(r, v, t, &def)
	if err != nil {
		return err
	}
	if errs != nil {
		fields, rest := form.attachErrors(errs, index)
		form.addBlankRows()
		wb.renderAction(w, r, v, http.StatusUnprocessableEntity, t, index, form, fields, rest)
		return nil
	}
	msg := "Nothing changed."
	if changed {
		msg = "Saved " + a.Name + " in draft v" + itoa(t.Integration.LatestVersion) + "."
	}
	wb.redirect(w, r, "/integrations/"+t.Integration.ID+"/actions", msg)
	return nil
}

func (wb *Web) actionDelete(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Build)
	if err != nil {
		return err
	}
	index, a, err := actionAt(t, r.PathValue("key"))
	if err != nil {
		return err
	}
	def := *t.Definition
	def.Actions = slices.Delete(slices.Clone(t.Definition.Actions), index, index+1)
	if def.TestAction == a.Key {
		def.TestAction = ""
	}
	_, errs, err := wb.saveDraft(r, v, t, &def)
	if err != nil {
		return err
	}
	if errs != nil {
		wb.redirect(w, r, "/integrations/"+t.Integration.ID+"/actions", "Could not remove "+a.Name+": "+summary(otherErrors(errs, func(string) bool { return false })))
		return nil
	}
	wb.redirect(w, r, "/integrations/"+t.Integration.ID+"/actions", "Removed "+a.Name+" in draft v"+itoa(t.Integration.LatestVersion)+".")
	return nil
}
