package web

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
)

// personalConnectForm is where a sign-in link of a tool call sends a
// member: it says which account they are about to connect, for whom, and
// starts the provider's OAuth flow with a button (a form post, so that no
// other site can start one for them).
func (wb *Web) personalConnectForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.Integrations.Get(r.Context(), v.p, r.PathValue("id"), executor.VersionLatest)
	if err != nil {
		return err
	}
	integ := t.Integration
	env := r.PathValue("env")
	page := view{Title: "Connect " + integ.Name, Nav: "integrations", Data: map[string]any{
		"Name": integ.Name, "ID": integ.ID, "Env": env, "Production": env == connector.Production,
	}}
	if forUser := r.URL.Query().Get("for"); forUser != "" && forUser != v.p.User.ID {
		page.Problem = "This link is for another member of the organization: the person the agent acts for. Sign out, and open the link signed in as them."
		wb.render(w, r, v, http.StatusForbidden, "personal_connect", page)
		return nil
	}
	wb.render(w, r, v, http.StatusOK, "personal_connect", page)
	return nil
}

// personalConnect creates or reuses the member's own connection and sends
// the browser to the provider; it comes back to /oauth/callback.
func (wb *Web) personalConnect(w http.ResponseWriter, r *http.Request, v *visit) error {
	to, err := wb.Connections.ConnectPersonal(r.Context(), v.p, r.PathValue("id"), r.PathValue("env"))
	if err != nil {
		if msg, ok := refusal(err); ok {
			wb.redirect(w, r, r.URL.Path, msg)
			return nil
		}
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
