package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/api"
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
	wb.render(w, r, v, status, "members", view{Title: "Members", Nav: "members", Errors: errs, Data: map[string]any{
		"Users": users, "Roles": roles, "CanInvite": v.may(api.PermManageOrg) == nil, "Invited": invited,
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
