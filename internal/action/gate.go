package action

import (
	"context"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/approval"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/id"
)

// gate holds a call that needs approval: the first call with an
// idempotency key parks it and returns *approval.Pending, repeats return
// the outcome, and an approved one returns run wrapped so that the call
// is sent exactly once. A call without a key gets one (the Pending error
// names it), so that the caller can come back for the outcome.
func (s *Service) gate(ctx context.Context, p access.Principal, t *executor.Target, act *connector.Action, call *executor.Call,
	run func(context.Context) (*executor.Result, error)) (func(context.Context) (*executor.Result, error), error) {
	if call.IdempotencyKey == "" {
		call.IdempotencyKey = id.New("idem")
	}
	plan, err := s.Executor.Plan(ctx, t, act, *call)
	if err != nil {
		return nil, err
	}
	a, err := s.Approvals.Gate(ctx, p, approval.Request{
		Scope: approvalScope(p), Key: call.IdempotencyKey, IntegrationID: t.Integration.ID, IntegrationName: t.Integration.Name,
		Version: t.Version, Action: act.Key, Environment: call.Environment, Method: plan.Method, URL: plan.URL, Params: plan.Params,
		Team: act.ApprovalTeam,
	})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) (*executor.Result, error) {
		if err := s.Approvals.Claim(ctx, p, a); err != nil {
			return nil, err
		}
		return run(ctx)
	}, nil
}

// approvalScope is whose idempotency keys name approvals: the caller's
// replay scope, or a trigger's webhook (its runs' keys are unique to an
// event and trigger).
func approvalScope(p access.Principal) string {
	if scope := replayScope(p); scope != "" {
		return scope
	}
	return "trigger:" + p.WebhookID
}
