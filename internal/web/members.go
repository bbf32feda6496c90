package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/store"
)

var roles = []string{store.RoleViewer, store.RoleDeveloper, store.RoleAdmin}

func (wb *Web) members(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermRead); err != nil {
		return err
	}
	return wb.renderMembers(w, r, v, http.StatusOK, nil, nil)
}

func (wb *Web) renderMembers(w http.ResponseWriter, r *http.Request, v *visit, status int, errs map[string]string, invited map[string]any) error {
	users, err := wb.Store.ListUsers(r.Context(), v.p.Org.ID)
	if err != nil {
		return err
	}
	limits, _ := plan.Get(v.p.Org.Plan)
	wb.render(w, r, v, status, "members", view{Title: "Members", Nav: "members", Errors: errs, Data: map[string]any{
		"Users": users, "Roles": roles, "CanInvite": v.may(api.PermManageOrg) == nil, "Invited": invited,
		"Org": v.p.Org, "CanBrand": v.may(api.PermOwnOrg) == nil, "WhiteLabel": limits.WhiteLabel,
	}})
	return nil
}

// memberInvite adds a member without a password and shows a single-use
// link with which they set one.
func (wb *Web) memberInvite(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermManageOrg); err != nil {
		return err
	}
	email, name, role := strings.TrimSpace(r.PostFormValue("email")), strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("role")
	errs := map[string]string{}
	if !strings.Contains(email, "@") {
		errs["email"] = "enter the address the member will sign in with"
	}
	if !contains(roles, role) {
		errs["role"] = "pick viewer, developer or admin"
	}
	if len(errs) == 0 {
		u, err := wb.Store.CreateUser(r.Context(), store.User{OrgID: v.p.Org.ID, Email: email, Name: name, Role: role})
		switch {
		case errors.Is(err, store.ErrConflict):
			errs["email"] = "this address already belongs to a member"
		case err != nil:
			return err
		default:
			link, expires, err := wb.newSigninLink(r.Context(), u, store.LinkInvite, v.p.User.ID, InviteLinkTTL)
			if err != nil {
				return err
			}
			wb.Logger.InfoContext(r.Context(), "member invited from the dashboard", "user_id", u.ID, "role", role, "by", v.p.User.ID)
			return wb.renderMembers(w, r, v, http.StatusCreated, nil, map[string]any{"Email": email, "Link": link, "Expires": expires})
		}
	}
	return wb.renderMembers(w, r, v, http.StatusUnprocessableEntity, errs, nil)
}

// orgSettings saves the organization's name and, on a plan that allows
// white-label, the product name and logo the dashboard shows.
func (wb *Web) orgSettings(w http.ResponseWriter, r *http.Request, v *visit) error {
	in := api.OrgChanges{Name: ptr(r.PostFormValue("name"))}
	if _, ok := r.PostForm["product_name"]; ok {
		in.ProductName, in.LogoURL = ptr(r.PostFormValue("product_name")), ptr(r.PostFormValue("logo_url"))
	}
	_, err := wb.API.UpdateOrg(r.Context(), v.p, in)
	if p, ok := asProblem(err); ok && p.Status == http.StatusBadRequest {
		errs := map[string]string{}
		for _, fe := range p.Errors {
			errs["org_"+fe.Field] = fe.Message
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
