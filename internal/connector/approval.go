package connector

import (
	"slices"

	"github.com/plugboard/plugboard/internal/naming"
)

// Approval policies of an action.
const (
	// ApprovalAuto needs approval for DELETE and for actions marked
	// destructive, in production only. It is the default.
	ApprovalAuto = "auto"
	// ApprovalAlways needs approval for every call, in both environments.
	ApprovalAlways = "always"
	// ApprovalNever never needs approval.
	ApprovalNever = "never"
)

var approvalPolicies = []string{ApprovalNever, ApprovalAlways, ApprovalAuto}

// NeedsApproval reports whether a call of a in env waits for a person to
// approve it before it is sent.
func (a *Action) NeedsApproval(env string) bool {
	switch a.Approval {
	case ApprovalNever:
		return false
	case ApprovalAlways:
		return true
	}
	return env == Production && (a.Method == "DELETE" || a.Destructive)
}

func (p *problems) checkApproval(at string, a *Action) {
	if a.Approval != "" && !slices.Contains(approvalPolicies, a.Approval) {
		p.add(join(at, "approval"), "%q is not an approval policy; use %s (DELETE and destructive actions wait for approval in production: the default), %s or %s%s",
			a.Approval, ApprovalAuto, ApprovalAlways, ApprovalNever, didYouMean(a.Approval, approvalPolicies))
	}
	if a.ApprovalTeam != "" {
		p.checkText(join(at, "approval_team"), a.ApprovalTeam, naming.Name)
		if a.Approval == ApprovalNever {
			p.add(join(at, "approval_team"), "names who approves calls, but the approval policy is %q; remove the team or set %q to %q or %q", ApprovalNever, "approval", ApprovalAuto, ApprovalAlways)
		}
	}
}

func (p *problems) checkPersonal(d *Definition) {
	if d.PersonalConnections && (d.Auth.Type == AuthNone || d.Auth.Type == "") {
		p.add("personal_connections", "needs an auth method: with auth %q there is nothing for each member to connect", AuthNone)
	}
}
