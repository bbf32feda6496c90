package api

import (
	"net/http"

	"github.com/plugboard/plugboard/internal/approval"
	"github.com/plugboard/plugboard/internal/store"
)

// approvalView is an approval with its status URL and its dashboard page.
type approvalView struct {
	store.Approval
	URL  string `json:"url"`
	Page string `json:"page"`
}

func (a *API) viewApproval(ap store.Approval) approvalView {
	return approvalView{Approval: ap, URL: a.PublicURL + "/v1/approvals/" + ap.ID, Page: a.Approvals.Page(ap.ID)}
}

func (a *API) listApprovals(w http.ResponseWriter, r *http.Request) {
	list, err := a.Approvals.List(r.Context(), principal(r), r.URL.Query().Get("status"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]approvalView, len(list))
	for i, ap := range list {
		out[i] = a.viewApproval(ap)
	}
	writeJSON(w, http.StatusOK, map[string]any{"approvals": out})
}

func (a *API) getApproval(w http.ResponseWriter, r *http.Request) {
	ap, err := a.Approvals.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.viewApproval(ap))
}

func (a *API) decideApproval(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Comment string `json:"comment"`
		}
		if err := decodeOptional(r, &in); err != nil {
			a.fail(w, r, err)
			return
		}
		ap, err := a.Approvals.Decide(r.Context(), principal(r), r.PathValue("id"), approve, in.Comment)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, a.viewApproval(ap))
	}
}

// writePending answers a run that waits for approval: 202 with the
// approval's status URL, and the idempotency key to repeat the run with.
func (a *API) writePending(w http.ResponseWriter, p *approval.Pending) {
	w.Header().Set("Location", p.Status)
	w.Header().Set("Idempotency-Key", p.Approval.Key)
	writeJSON(w, http.StatusAccepted, map[string]any{
		"approval": map[string]any{
			"id": p.Approval.ID, "status": p.Approval.Status, "url": p.Status, "page": p.Page, "expires_at": p.Approval.ExpiresAt,
		},
		"idempotency_key": p.Approval.Key,
		"detail":          "This call needs approval before it is sent. Repeat it with the same Idempotency-Key to get the outcome: 202 while it waits, the API's answer once approved (sent once), a problem if denied or expired.",
	})
}

func (a *API) getApprovalSettings(w http.ResponseWriter, r *http.Request) {
	u, err := a.Approvals.NotifyURL(r.Context(), principal(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, approval.Settings{NotifyURL: u})
}

func (a *API) setApprovalSettings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		NotifyURL string `json:"notify_url"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	out, err := a.Approvals.SetNotifyURL(r.Context(), principal(r), in.NotifyURL)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
