package web

import (
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/org"
	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/store"
)

var roles = []string{store.RoleViewer, store.RoleDeveloper, store.RoleAdmin}

func (wb *Web) members(w http.ResponseWriter, r *http.Request, v *visit) error {
	return wb.renderMembers(w, r, v, http.StatusOK, nil, nil)
}

func (wb *Web) renderMembers(w http.ResponseWriter, r *http.Request, v *visit, status int, errs map[string]string, invited map[string]any) error {
	users, err := wb.Org.Members(r.Context(), v.p)
	if err != nil {
		return err
	}
	kept, err := wb.Retention.Get(r.Context(), v.p)
	if err != nil {
		return err
	}
	limits, _ := plan.Get(v.p.Org.Plan)
	wb.render(w, r, v, status, "members", view{Title: "Members", Nav: "members", Errors: errs, Data: map[string]any{
		"Users": users, "Roles": roles, "CanInvite": v.may(access.ManageOrg), "Invited": invited,
		"Form": typed(r, "/members"), "OrgForm": typed(r, "/settings"), "Org": v.p.Org, "CanBrand": v.may(access.OwnOrg), "WhiteLabel": limits.WhiteLabel,
		"Retention": kept,
	}})
	return nil
}

// memberInvite adds a member without a password and shows a single-use
// link with which they set one.
func (wb *Web) memberInvite(w http.ResponseWriter, r *http.Request, v *visit) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	out, err := wb.Org.Invite(r.Context(), v.p, org.Invitation{Email: email, Name: r.PostFormValue("name"), Role: r.PostFormValue("role")})
	if errs, ok := formErrors(err); ok {
		return wb.renderMembers(w, r, v, http.StatusUnprocessableEntity, errs, nil)
	}
	if err != nil {
		return err
	}
	return wb.renderMembers(w, r, v, http.StatusCreated, nil, map[string]any{"Email": out.User.Email, "Link": out.SigninURL, "Expires": out.LinkExpires})
}

// orgSettings saves the organization's name and, on a plan that allows
// white-label, the product name and logo the dashboard shows.
func (wb *Web) orgSettings(w http.ResponseWriter, r *http.Request, v *visit) error {
	in := org.Changes{Name: ptr(r.PostFormValue("name"))}
	if _, ok := r.PostForm["product_name"]; ok {
		in.ProductName, in.LogoURL = ptr(r.PostFormValue("product_name")), ptr(r.PostFormValue("logo_url"))
	}
	_, err := wb.Org.Update(r.Context(), v.p, in)
	if fields, ok := formErrors(err); ok {
		errs := map[string]string{}
		for f, msg := range fields {
			errs["org_"+f] = msg
		}
		return wb.renderMembers(w, r, v, http.StatusUnprocessableEntity, errs, nil)
	}
	if err != nil {
		return err
	}
	wb.redirect(w, r, "/members", "Saved the organization's settings.")
	return nil
}

func ptr(s string) *string { return &s }

// typed is what the member sent to the form at path, for a page that
// shows the form again with a reason: nothing typed is lost. It is empty
// when the page answers another request.
func typed(r *http.Request, path string) map[string]string {
	if r.Method != http.MethodPost || r.URL.Path != path {
		return nil
	}
	out := make(map[string]string, len(r.PostForm))
	for k := range r.PostForm {
		out[k] = r.PostFormValue(k)
	}
	return out
}
