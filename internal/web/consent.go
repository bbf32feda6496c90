package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/connectedapp"
	"github.com/plugboard/plugboard/internal/store"
)

// consentForm is where an MCP client's sign-in lands once the person is
// signed in to the dashboard: who asks, where it came from, and the tools
// it may use, in which environment.
func (wb *Web) consentForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	pend, err := wb.Apps.Pending(r.Context(), v.p, r.URL.Query().Get("request"))
	if err != nil {
		return err
	}
	ticked, envs := consentTicks(pend.Current), map[string]string{}
	if pend.Current != nil {
		for _, g := range pend.Current.Grants {
			envs[g.IntegrationID] = g.Environment
		}
	}
	return wb.renderConsent(w, r, v, http.StatusOK, pend, view{}, ticked, envs, true)
}

// consentDecide turns the person's answer into the app's grant (or a
// refusal) and sends the browser back to the app.
func (wb *Web) consentDecide(w http.ResponseWriter, r *http.Request, v *visit) error {
	handle := r.PostFormValue("request")
	if r.PostFormValue("decision") != "approve" {
		to, err := wb.Apps.Deny(r.Context(), v.p, handle)
		if err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	tools := toolsFromForm(r)
	for i := range tools {
		tools[i].Environment = r.PostFormValue("env:" + tools[i].Integration)
	}
	offline := r.PostFormValue("offline") == "on"
	to, err := wb.Apps.Approve(r.Context(), v.p, handle, connectedapp.Consent{Grants: tools, Offline: offline})
	if err == nil {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	msg, ok := refusal(err)
	if !ok {
		return err
	}
	if errs, ok := formErrors(err); ok {
		// The form has no field per grant: every reason goes on top.
		msg = ""
		for _, field := range slices.Sorted(maps.Keys(errs)) {
			msg += errs[field] + ". "
		}
	}
	pend, perr := wb.Apps.Pending(r.Context(), v.p, handle)
	if perr != nil {
		return perr
	}
	ticked, envs := map[string]bool{}, map[string]string{}
	for _, k := range append(r.PostForm["grant"], r.PostForm["action"]...) {
		ticked[k] = true
	}
	for _, t := range tools {
		envs[t.Integration] = t.Environment
	}
	return wb.renderConsent(w, r, v, http.StatusUnprocessableEntity, pend, view{Problem: "Nothing was shared yet: " + msg}, ticked, envs, offline)
}

// renderConsent shows the consent screen. Its answer redirects to the
// app, which the page's Content-Security-Policy must allow as a form
// target.
func (wb *Web) renderConsent(w http.ResponseWriter, r *http.Request, v *visit, status int, pend connectedapp.Pending, page view, ticked map[string]bool, envs map[string]string, offline bool) error {
	g, err := wb.grantables(r, v)
	if err != nil {
		return err
	}
	redirect, _ := url.Parse(pend.RedirectURI)
	page.Title = "Connect " + connectedapp.DisplayName(pend.Client)
	page.FormAction = connectedapp.ConsentFormAction(pend.RedirectURI)
	page.Data = map[string]any{
		"Pending": pend, "Name": connectedapp.DisplayName(pend.Client), "Origin": connectedapp.Origin(pend.Client),
		"Document": pend.Client.Kind == store.ClientDocument, "RedirectHost": redirectHost(redirect),
		"Grantable": g, "Ticked": ticked, "Envs": envs, "Offline": offline,
		// A first connection starts from everything the app may ask for.
		"Fresh": r.Method == http.MethodGet && pend.Current == nil,
	}
	wb.render(w, r, v, status, "consent", page)
	return nil
}

// consentTicks are the boxes an app's current grants tick, in the form's
// terms: "<id>" for all tools of an integration, "<id>:<key>" for one.
func consentTicks(app *store.Agent) map[string]bool {
	out := map[string]bool{}
	if app == nil {
		return out
	}
	for k := range grantChecks(*app) {
		if id, ok := strings.CutPrefix(k, "all:"); ok {
			out[id] = true
		} else {
			out[k] = true
		}
	}
	return out
}

// redirectHost is where the app receives its answer, for the person to
// read: a host, or a private-use scheme.
func redirectHost(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.Host != "" {
		return u.Host
	}
	return u.Scheme + ":"
}
