package mcp

import (
	"context"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/executor"
)

// inputSignIn is the id of the input request that shows a person the page
// where they connect their own account.
const inputSignIn = "sign_in"

// awaitSignIn answers a call for a person whose own connection is missing
// or lapsed. A client that can open a URL is asked to open the connect
// page; when it comes back, the call waits a while for the connection and
// runs again. Otherwise the tool error carries the link and the words to
// show the person. out, res, replayed and err are as for awaitApproval.
func (s *Server) awaitSignIn(ctx context.Context, req *sdk.CallToolRequest, p access.Principal, t *agent.Tool, in action.Input, need *action.SignInRequired) (
	res *executor.Result, replayed bool, err error, out *sdk.CallToolResult) {
	if resp, answered := req.Params.InputResponses[inputSignIn]; answered {
		if r, ok := resp.(*sdk.ElicitResult); ok && r.Action == "accept" && s.connected(ctx, p, t, need) {
			res, replayed, err = s.cfg.Actions.Run(ctx, p, in)
			return res, replayed, err, nil
		}
		return nil, false, nil, toolError(need.Error())
	}
	if opensURLs(req) {
		return nil, false, nil, &sdk.CallToolResult{
			InputRequests: sdk.InputRequestMap{inputSignIn: &sdk.ElicitParams{
				Mode: "url", URL: need.URL, ElicitationID: "signin_" + t.Integration.ID + "_" + need.Environment,
				Message: "Connect your " + need.Integration + " account: this call acts for you, with your own account. Sign in to " + need.Integration + " on the page that opens.",
			}},
			RequestState: in.IdempotencyKey,
		}
	}
	return nil, false, nil, toolError(need.Error())
}

// connected waits up to ApprovalWait for the person's own connection to
// become active.
func (s *Server) connected(ctx context.Context, p access.Principal, t *agent.Tool, need *action.SignInRequired) bool {
	deadline := time.Now().Add(s.cfg.ApprovalWait)
	for {
		if s.cfg.Actions.Connected(ctx, p.Org.ID, t.Integration.ID, need.Environment, p.User.ID) {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(250 * time.Millisecond):
		}
	}
}
