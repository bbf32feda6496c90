package web

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/account"
)

func (wb *Web) setPasswordForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	token := r.URL.Query().Get("token")
	link, err := wb.Accounts.Link(r.Context(), token)
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "set_password", view{Title: "Set your password", Data: setPasswordData(link, token, link.Member.User.Email, link.Member.User.Name)})
	return nil
}

func setPasswordData(link account.Link, token, email, name string) map[string]any {
	return map[string]any{"Token": token, "First": link.First(), "Email": email, "Name": name, "OrgName": link.Member.Org.Name, "Min": account.MinPasswordLength}
}

func (wb *Web) setPassword(w http.ResponseWriter, r *http.Request, v *visit) error {
	token := r.PostFormValue("token")
	in := account.PasswordInput{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Password: r.PostFormValue("password"), Confirm: r.PostFormValue("confirm")}
	sess, err := wb.Accounts.SetPassword(r.Context(), token, in, wb.client(r))
	if errs, ok := formErrors(err); ok {
		link, lerr := wb.Accounts.Link(r.Context(), token)
		if lerr != nil {
			return lerr
		}
		email := link.Member.User.Email
		if link.First() {
			email = in.Email
		}
		wb.render(w, r, v, http.StatusUnprocessableEntity, "set_password", view{Title: "Set your password", Errors: errs, Data: setPasswordData(link, token, email, in.Name)})
		return nil
	}
	if err != nil {
		return err
	}
	wb.startSession(w, sess)
	wb.redirect(w, r, "/", "Your password is set. Welcome to "+brandFor(sess.Principal.Org).Name+".")
	return nil
}
