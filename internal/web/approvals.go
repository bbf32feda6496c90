package web

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/access"

	"github.com/plugboard/plugboard/internal/logging"
	"github.com/plugboard/plugboard/internal/store"
)

// approvalList is the approvals inbox: pending calls first, then the
// recent decisions.
func (wb *Web) approvalList(w http.ResponseWriter, r *http.Request, v *visit) error {
	return wb.renderApprovals(w, r, v, http.StatusOK, view{})
}

// approvalSettings sets the notification URL; its new signing secret is
// shown on the page it answers with, once.
func (wb *Web) approvalSettings(w http.ResponseWriter, r *http.Request, v *visit) error {
	set, err := wb.Approvals.SetNotifyURL(r.Context(), v.p, r.PostFormValue("notify_url"))
	if err != nil {
		if errs, ok := formErrors(err); ok {
			return wb.renderApprovals(w, r, v, http.StatusUnprocessableEntity, view{Errors: errs})
		}
		return err
	}
	page := view{Flash: "Notifications are off."}
	if set.NotifyURL != "" {
		page.Flash = "Each new pending approval is now posted to " + set.NotifyURL + ", signed with the secret below."
		page.Data = set.Secret
	}
	return wb.renderApprovals(w, r, v, http.StatusOK, page)
}

func (wb *Web) renderApprovals(w http.ResponseWriter, r *http.Request, v *visit, code int, page view) error {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = store.ApprovalPending
	}
	if status == "all" {
		status = ""
	}
	list, err := wb.Approvals.List(r.Context(), v.p, status)
	if err != nil {
		return err
	}
	data := map[string]any{"Rows": list, "Status": r.URL.Query().Get("status"), "CanManage": v.may(access.ManageOrg), "Secret": page.Data}
	if v.may(access.ManageOrg) {
		if data["NotifyURL"], err = wb.Approvals.NotifyURL(r.Context(), v.p); err != nil {
			return err
		}
	}
	page.Title, page.Nav, page.Data = "Approvals", "approvals", data
	wb.render(w, r, v, code, "approvals", page)
	return nil
}

// approvalDetail shows the exact request a call would send, its params
// with secret-looking values masked, and the decision form to those who
// may decide.
func (wb *Web) approvalDetail(w http.ResponseWriter, r *http.Request, v *visit) error {
	a, err := wb.Approvals.Get(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	may, err := wb.Approvals.MayDecide(r.Context(), v.p, a)
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "approval", view{Title: "Approval " + a.ID, Nav: "approvals", Data: map[string]any{
		"A": a, "Params": string(logging.RedactJSON(a.Params)), "MayDecide": may && a.Status == store.ApprovalPending,
	}})
	return nil
}

// approvalDecide approves or denies, with the comment from the form.
func (wb *Web) approvalDecide(approve bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *visit) error {
		a, err := wb.Approvals.Decide(r.Context(), v.p, r.PathValue("id"), approve, r.PostFormValue("comment"))
		if err != nil {
			if msg, ok := refusal(err); ok {
				wb.redirect(w, r, "/approvals/"+r.PathValue("id"), msg)
				return nil
			}
			return err
		}
		msg := "Denied: the call will not be sent, and its caller is told so."
		if approve {
			msg = "Approved: the call is sent once, when its caller comes back for it."
		}
		wb.redirect(w, r, "/approvals/"+a.ID, msg)
		return nil
	}
}
