package api

import (
	"context"
	"net/http"

	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/idempotency"
	"github.com/plugboard/plugboard/internal/store"
)

// runIdempotent runs call once per Idempotency-Key of the calling user: a
// repeat within 24 hours gets the first result (replayed true) and the API
// is not called again. Without a key it just runs the call.
func (a *API) runIdempotent(r *http.Request, p store.Principal, call executor.Call) (*executor.Result, bool, error) {
	run := func(ctx context.Context) (*executor.Result, error) { return a.Executor.Run(ctx, call) }
	if a.Idempotency == nil || call.IdempotencyKey == "" {
		res, err := run(r.Context())
		return res, false, err
	}
	return a.Idempotency.Do(r.Context(), idempotency.Request{
		OrgID: p.Org.ID, Scope: "api:" + p.User.ID, Key: call.IdempotencyKey,
		Fingerprint: idempotency.Fingerprint(call.Integration, call.Action, call.Environment, call.Version, call.Params),
	}, run)
}
