package executor

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// DefaultBudgetWait is how long a call may wait for an API's announced
// rate-limit window to reset before it is answered 429 instead.
const DefaultBudgetWait = 10 * time.Second

// budgetKey names the budget a call spends: its connection's (limits are
// per token), or the integration's environment when it has none.
func budgetKey(t *Target, conn store.Connection, env string) string {
	if conn.ID != "" {
		return conn.ID
	}
	return t.Integration.ID + ":" + env
}

// reserve takes one call from the budget the API announced, waiting up to
// BudgetWait for a spent window to reset. Past that, the call is answered
// 429 with the time to retry, and never sent: the API would refuse it.
// A budget that cannot be read (Redis away) lets the call through.
func (e *Executor) reserve(ctx context.Context, t *Target, key string) (limit.Ticket, error) {
	if e.Budget == nil {
		return 0, nil
	}
	bound := e.BudgetWait
	if bound == 0 {
		bound = DefaultBudgetWait
	}
	deadline := time.Now().Add(bound)
	for {
		now := time.Now()
		w, ok, ticket, err := e.Budget.Take(ctx, key, now)
		if err != nil {
			e.Logger.WarnContext(ctx, "rate-limit budget unavailable; sending the call", "integration", t.Integration.ID, "error", err)
			return 0, nil
		}
		if ok {
			return ticket, nil
		}
		if w.Probe && w.Reset.After(deadline) {
			return 0, nil // waiting longer for the first answer would pass the bound
		}
		if w.Reset.After(deadline) {
			wait := w.Reset.Sub(now)
			return 0, &problem.Error{
				Status: http.StatusTooManyRequests, Title: "Rate limit reached",
				Detail: fmt.Sprintf("%s's rate limit for this connection is spent until %s (in %s); the call was not sent. Retry after that.",
					t.Integration.Name, w.Reset.UTC().Format(time.RFC3339), wait.Round(time.Second)),
				RetryAfter: wait,
			}
		}
		timer := time.NewTimer(time.Until(w.Reset))
		select {
		case <-ctx.Done():
			timer.Stop()
			return 0, ctx.Err()
		case <-timer.C:
		}
	}
}

// observe records the window the answer announced (or that it announced
// none, which releases the calls waiting for it) and returns the window
// now held, for the caller to see what is left.
func (e *Executor) observe(ctx context.Context, key string, ticket limit.Ticket, resp *outbound.Response) *limit.Window {
	if e.Budget == nil {
		return nil
	}
	now := time.Now()
	var w limit.Window
	announced := false
	if resp != nil {
		w, announced = limit.Announced(resp.Header, resp.Status, now)
	}
	held, ok, err := e.Budget.Observe(ctx, key, w, announced, ticket)
	if err != nil {
		e.Logger.WarnContext(ctx, "record the rate-limit budget", "error", err)
	}
	if err != nil || !ok || !announced || !now.Before(held.Reset) {
		return nil
	}
	return &held
}
