package mcp

import (
	"context"
	"fmt"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/approval"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/store"
)

// inputApproval is the id of the input request that shows a person the
// approval page.
const inputApproval = "approval"

// awaitApproval answers a call that waits for approval. A client that can
// open a URL for its user is asked to (on 2026-07-28 an input_required
// result, before it the SDK turns the same result into an elicitation
// request); when it comes back, the call waits a while for the decision
// and is then run again, sent if approved. Otherwise, or while no one has
// decided, the tool result says the call is waiting and how to get the
// outcome. out is that result; when it is nil, res, replayed and err are
// those of the call run again.
func (s *Server) awaitApproval(ctx context.Context, req *sdk.CallToolRequest, p access.Principal, in action.Input, pend *approval.Pending) (
	res *executor.Result, replayed bool, err error, out *sdk.CallToolResult) {
	a := pend.Approval
	if resp, answered := req.Params.InputResponses[inputApproval]; answered {
		if r, ok := resp.(*sdk.ElicitResult); ok && r.Action == "accept" {
			if a, err = s.cfg.Approvals.Wait(ctx, a.OrgID, a.ID, s.cfg.ApprovalWait); err != nil {
				return nil, false, err, nil
			}
			if a.Status != store.ApprovalPending {
				in.IdempotencyKey = a.Key
				res, replayed, err = s.cfg.Actions.Run(ctx, p, in)
				return res, replayed, err, nil
			}
		}
		return nil, false, nil, waiting(pend)
	}
	if opensURLs(req) {
		return nil, false, nil, &sdk.CallToolResult{
			InputRequests: sdk.InputRequestMap{inputApproval: &sdk.ElicitParams{
				Mode: "url", URL: pend.Page, ElicitationID: a.ID,
				Message: fmt.Sprintf("%s %s needs approval before Plugboard sends it. Open the approval page; an owner, an admin%s approves or denies it there.",
					a.Method, a.URL, approval.TeamClause(a.Team)),
			}},
			RequestState: a.Key,
		}
	}
	return nil, false, nil, waiting(pend)
}

// opensURLs reports whether the client declared URL-mode elicitation.
func opensURLs(req *sdk.CallToolRequest) bool {
	caps := req.ClientCapabilities()
	return caps != nil && caps.Elicitation != nil && caps.Elicitation.URL != nil
}

// waiting is the tool result of a call that is still waiting.
func waiting(pend *approval.Pending) *sdk.CallToolResult {
	a := pend.Approval
	return &sdk.CallToolResult{
		Content: []sdk.Content{&sdk.TextContent{Text: fmt.Sprintf(
			"Waiting for approval: %s %s was not sent yet. An owner, an admin%s must approve it at %s (it expires at %s). "+
				"Tell the user, then call this tool again with the same arguments and _meta.idempotency_key %q to get the outcome: "+
				"the API's answer once approved (the call is sent exactly once), or why it was not sent.",
			a.Method, a.URL, approval.TeamClause(a.Team), pend.Page, a.ExpiresAt.Format("2006-01-02 15:04 MST"), a.Key)}},
		StructuredContent: map[string]any{"approval": map[string]any{
			"id": a.ID, "status": a.Status, "url": pend.Page, "expires_at": a.ExpiresAt, "idempotency_key": a.Key,
		}},
		Meta: sdk.Meta{MetaIdempotencyKey: a.Key},
	}
}
