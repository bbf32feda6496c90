package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/plugboard/plugboard/internal/calllog"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/id"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Invoke queues the action for the integration's workers and waits for
// the result, the deadline (the integration's timeout, 30 s by default)
// or the caller leaving. It implements executor.Workers.
func (s *Service) Invoke(ctx context.Context, t *executor.Target, action *connector.Action, c executor.Call, params map[string]any) (*executor.Result, error) {
	start := time.Now()
	in := t.Integration
	n, err := s.Store.LiveWorkers(ctx, in.OrgID, in.ID, action.Key, s.liveSince())
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, &problem.Error{Status: http.StatusServiceUnavailable, Title: "No worker connected", RetryAfter: 5 * time.Second,
			Detail: fmt.Sprintf("integration %q is defined in code and no connected worker serves its action %q; start the integration's worker program (it calls Serve) and retry", in.Name, action.Key)}
	}
	timeout := DefaultTimeout
	if t.Definition.TimeoutSeconds > 0 {
		timeout = time.Duration(t.Definition.TimeoutSeconds) * time.Second
	}
	deadline := start.Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if params == nil {
		params = map[string]any{}
	}
	input, err := json.Marshal(params)
	if err != nil {
		return nil, problem.BadRequest("params of action %q cannot be encoded: %v", action.Key, err)
	}
	inv := store.Invocation{
		ID: id.New("inv"), OrgID: in.OrgID, IntegrationID: in.ID, Version: t.Version, Action: action.Key,
		Environment: c.Environment, UserID: c.UserID, Source: string(c.Source), Actor: c.Actor, Input: input,
		IdempotencyKey: c.IdempotencyKey, Trace: traceOf(ctx), DeadlineAt: deadline, CreatedAt: start,
	}
	if inv.IdempotencyKey == "" {
		inv.IdempotencyKey = inv.ID
	}
	done := s.results.wait(inv.ID)
	defer s.results.forget(inv.ID)
	if err := s.Store.CreateInvocation(ctx, inv); err != nil {
		return nil, err
	}
	s.wakeWork(ctx, in.ID)
	final, err := s.await(ctx, inv, done)
	s.record(ctx, t, inv, final, err, time.Since(start))
	if err != nil {
		return nil, err
	}
	return s.result(t, final, time.Since(start))
}

// await waits for the invocation to finish. Results posted to this node
// wake it at once; it re-reads the row every second for results posted
// elsewhere and to fail invocations whose workers all died.
func (s *Service) await(ctx context.Context, inv store.Invocation, done <-chan struct{}) (store.Invocation, error) {
	timer := time.NewTimer(time.Until(inv.DeadlineAt))
	defer timer.Stop()
	tick := time.NewTicker(recheck)
	defer tick.Stop()
	bg := context.WithoutCancel(ctx)
	for {
		select {
		case <-done:
		case <-tick.C:
		case <-timer.C:
			msg := fmt.Sprintf("no worker returned a result within %s", inv.DeadlineAt.Sub(inv.CreatedAt).Round(time.Millisecond))
			_, err := s.Store.CompleteInvocation(bg, inv.OrgID, inv.ID, store.Completion{Status: store.InvExpired, Error: msg})
			if err != nil {
				return inv, err
			}
		case <-ctx.Done():
			_, _ = s.Store.CompleteInvocation(bg, inv.OrgID, inv.ID, store.Completion{Status: store.InvCancelled, Error: "the caller went away"})
			return inv, &problem.Error{Status: 499, Title: "Client closed request", Detail: "the call was cancelled", Cause: ctx.Err()}
		}
		cur, err := s.Store.GetInvocation(bg, inv.OrgID, inv.ID)
		if err != nil {
			return inv, err
		}
		if cur.Done() {
			return cur, nil
		}
		if cur.Status == store.InvLeased && time.Now().After(cur.LeaseExpiresAt) {
			if cur.Attempts >= MaxAttempts {
				msg := fmt.Sprintf("the worker running it stopped answering, %d times; check the worker's logs", cur.Attempts)
				if _, err := s.Store.CompleteInvocation(bg, inv.OrgID, inv.ID, store.Completion{Status: store.InvFailed, Error: msg, ErrorStatus: http.StatusBadGateway}); err != nil {
					return inv, err
				}
				continue
			}
			// Its worker died: wake the other workers' polls to take it over.
			s.wakeWork(bg, inv.IntegrationID)
		}
	}
}

// result turns a finished invocation into what the caller sees.
func (s *Service) result(t *executor.Target, inv store.Invocation, elapsed time.Duration) (*executor.Result, error) {
	switch inv.Status {
	case store.InvSucceeded:
		var body any
		if len(inv.Output) > 0 {
			body = inv.Output
		}
		return &executor.Result{Status: http.StatusOK, Headers: map[string]string{}, Body: body,
			DurationMS: float64(elapsed.Microseconds()) / 1000, Attempts: inv.Attempts, LogID: logID(inv)}, nil
	case store.InvExpired:
		return nil, &problem.Error{Status: http.StatusGatewayTimeout, Title: "Worker timeout",
			Detail: fmt.Sprintf("action %q of %q: %s", inv.Action, t.Integration.Name, inv.Error)}
	case store.InvCancelled:
		return nil, &problem.Error{Status: 499, Title: "Client closed request", Detail: "the call was cancelled"}
	}
	status := inv.ErrorStatus
	if status < 400 || status > 599 {
		status = http.StatusBadGateway
	}
	return nil, &problem.Error{Status: status, Title: "Action failed",
		Detail: fmt.Sprintf("action %q of %q failed: %s", inv.Action, t.Integration.Name, inv.Error)}
}

// record writes the call log entry and metrics of one invocation.
func (s *Service) record(ctx context.Context, t *executor.Target, inv, final store.Invocation, err error, elapsed time.Duration) {
	entry := store.CallLog{
		ID: logID(inv), OrgID: inv.OrgID, IntegrationID: inv.IntegrationID, Action: inv.Action, Environment: inv.Environment,
		Source: inv.Source, Actor: inv.Actor, UserID: inv.UserID, Method: "INVOKE", URL: "worker://" + t.Integration.Slug + "/" + inv.Action,
		DurationMS: float64(elapsed.Microseconds()) / 1000, Attempts: max(final.Attempts, 1), RequestBody: truncate(inv.Input),
		CreatedAt: inv.CreatedAt.UTC(),
	}
	var p *problem.Error
	switch {
	case err != nil:
		entry.Error = err.Error()
		if errors.As(err, &p) {
			entry.Status = p.Status
		}
	case final.Status == store.InvSucceeded:
		entry.Status, entry.ResponseBody = http.StatusOK, truncate(final.Output)
	default:
		entry.Error = final.Error
		if _, rerr := s.result(t, final, elapsed); errors.As(rerr, &p) {
			entry.Status = p.Status
		}
	}
	s.Recorder.Record(entry)
	s.Metrics.ObserveCall(t.Integration.ID, t.Integration.Slug, inv.Action, inv.Source, entry.Status, entry.Status != http.StatusOK, elapsed)
	if entry.Status != http.StatusOK {
		s.Logger.WarnContext(ctx, "worker invocation failed", "integration", inv.IntegrationID, "action", inv.Action, "invocation", inv.ID, "status", entry.Status, "error", entry.Error)
	}
}

// logID ties an invocation to its call log entry.
func logID(inv store.Invocation) string { return "log_" + inv.ID[len("inv_"):] }

func truncate(b []byte) string {
	if len(b) > calllog.MaxBodyBytes {
		return string(b[:calllog.MaxBodyBytes]) + "…[truncated]"
	}
	return string(b)
}

// propagator is the application's OpenTelemetry propagator, or W3C trace
// context when none is set, so traces cross the worker hop either way.
func propagator() propagation.TextMapPropagator {
	if p := otel.GetTextMapPropagator(); len(p.Fields()) > 0 {
		return p
	}
	return propagation.TraceContext{}
}

// traceOf encodes the caller's trace context for the worker.
func traceOf(ctx context.Context) string {
	carrier := propagation.MapCarrier{}
	propagator().Inject(ctx, carrier)
	if len(carrier) == 0 {
		return ""
	}
	b, _ := json.Marshal(carrier)
	return string(b)
}
