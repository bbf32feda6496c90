package worker

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/worker/wire"
)

// worker loads a live worker that p registered, or the 404 that tells the
// SDK to register again. A worker belongs to the API key it registered
// with: another key of the organization cannot poll its invocations,
// renew its leases or post its results.
func (s *Service) worker(ctx context.Context, p access.Principal, workerID string) (store.Worker, error) {
	w, err := s.owned(ctx, p, workerID)
	if err == nil && !w.StoppedAt.IsZero() {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		return w, problem.NotFound("worker %q is not registered in this organization with this API key (or has stopped); register again with POST %s", workerID, wire.PathRegister)
	}
	return w, err
}

// owned loads a worker of p's key, stopped or not, and checks that p may
// still run the integration it serves: a team restriction added after it
// registered stops it.
func (s *Service) owned(ctx context.Context, p access.Principal, workerID string) (store.Worker, error) {
	if err := p.May(access.Run); err != nil {
		return store.Worker{}, err
	}
	w, err := s.Store.GetWorker(ctx, p.Org.ID, workerID)
	if err != nil {
		return store.Worker{}, err
	}
	if w.KeyID != p.KeyID {
		return store.Worker{}, store.ErrNotFound
	}
	if _, err := s.Rules.Integration(ctx, p, w.IntegrationID); err != nil {
		return store.Worker{}, problem.Forbidden("worker %q serves an integration this API key's member may no longer use", workerID)
	}
	return w, nil
}

// Poll leases up to limit invocations to the worker, holding the request
// open up to wait while there are none. It returns early, empty, when the
// server is stopping or the worker hangs up.
func (s *Service) Poll(ctx context.Context, p access.Principal, workerID string, limit int, wait time.Duration) ([]wire.Invocation, error) {
	w, err := s.worker(ctx, p, workerID)
	if err != nil {
		return nil, err
	}
	orgID := p.Org.ID
	// Heartbeats keep the worker marked as seen; a poll does not write.
	limit = min(max(limit, 1), w.Concurrency)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	tick := time.NewTicker(recheck)
	defer tick.Stop()
	for {
		wake := s.work.wait(w.IntegrationID)
		claimed, err := s.Store.ClaimInvocations(ctx, store.Claim{
			OrgID: orgID, IntegrationID: w.IntegrationID, WorkerID: w.ID, Actions: w.Actions,
			Max: limit, Lease: s.Lease(), MaxAttempts: MaxAttempts,
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil
			}
			return nil, err
		}
		if len(claimed) > 0 && ctx.Err() != nil {
			// The worker hung up while we claimed: it will never see them.
			ids := make([]string, len(claimed))
			for i, inv := range claimed {
				ids[i] = inv.ID
			}
			if err := s.Store.ReleaseInvocations(context.WithoutCancel(ctx), orgID, w.ID, ids); err != nil {
				return nil, err
			}
			s.wakeWork(context.WithoutCancel(ctx), w.IntegrationID)
			return nil, nil
		}
		if len(claimed) > 0 {
			out := make([]wire.Invocation, len(claimed))
			for i, inv := range claimed {
				out[i] = toWire(inv)
			}
			return out, nil
		}
		select {
		case <-wake:
		case <-tick.C:
		case <-timer.C:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		case <-s.stopping:
			return nil, nil
		}
	}
}

func toWire(inv store.Invocation) wire.Invocation {
	out := wire.Invocation{
		ID: inv.ID, Action: inv.Action, Version: inv.Version, Environment: inv.Environment, Input: inv.Input,
		IdempotencyKey: inv.IdempotencyKey, Attempt: inv.Attempts, DeadlineMS: inv.DeadlineAt.UnixMilli(),
	}
	if inv.Trace != "" {
		_ = json.Unmarshal([]byte(inv.Trace), &out.Trace)
	}
	return out
}

// Heartbeat marks the worker alive, renews the leases of the invocations
// it runs and tells it which ones to stop.
func (s *Service) Heartbeat(ctx context.Context, p access.Principal, hb wire.Heartbeat) (*wire.HeartbeatResponse, error) {
	w, err := s.worker(ctx, p, hb.Worker)
	if err != nil {
		return nil, err
	}
	orgID := p.Org.ID
	if err := s.Store.TouchWorker(ctx, orgID, w.ID); err != nil {
		return nil, err
	}
	lost, err := s.Store.RenewLeases(ctx, orgID, w.ID, hb.Running, s.Lease())
	if err != nil {
		return nil, err
	}
	return &wire.HeartbeatResponse{Cancel: append([]string{}, lost...)}, nil
}

// Complete records a worker's result. The first result of an invocation
// wins; a later one (from a worker whose lease had expired) is refused
// with 409 and dropped.
func (s *Service) Complete(ctx context.Context, p access.Principal, invocationID string, res wire.Result) error {
	orgID := p.Org.ID
	inv, err := s.Store.GetInvocation(ctx, orgID, invocationID)
	if errors.Is(err, store.ErrNotFound) {
		return problem.NotFound("invocation %q not found in this organization", invocationID)
	}
	if err != nil {
		return err
	}
	// A worker that has since stopped or registered again may still
	// deliver: what matters is that it is this key's and serves this
	// integration.
	w, err := s.owned(ctx, p, res.Worker)
	if errors.Is(err, store.ErrNotFound) || err == nil && w.IntegrationID != inv.IntegrationID {
		return problem.Forbidden("worker %q of this API key does not serve the integration of invocation %q", res.Worker, invocationID)
	}
	if err != nil {
		return err
	}
	c := store.Completion{Status: store.InvSucceeded, Output: res.Output}
	switch {
	case res.Error != nil:
		msg := res.Error.Message
		if msg == "" {
			msg = "the action failed without a message"
		}
		c = store.Completion{Status: store.InvFailed, Error: msg, ErrorStatus: res.Error.Status}
		if !time.Now().Before(inv.DeadlineAt) {
			// The action gave up because its time was up: a timeout, as
			// the caller would have seen it without this result.
			c = store.Completion{Status: store.InvExpired, Error: "the action did not finish before its deadline: " + msg}
		}
	case len(res.Output) == 0:
		c.Output = json.RawMessage("null")
	case !json.Valid(res.Output):
		return problem.BadRequest("output must be JSON")
	}
	decided, err := s.Store.CompleteInvocation(ctx, orgID, inv.ID, c)
	if err != nil {
		return err
	}
	if !decided {
		return problem.Conflict("invocation %q already finished; this result was not used", invocationID)
	}
	s.Store.Notify(ctx, resultsChannel, inv.ID)
	return nil
}

// Deregister stops the worker. Invocations leased to it and not in
// running go back to the queue at once instead of waiting for their
// leases to run out.
func (s *Service) Deregister(ctx context.Context, p access.Principal, workerID string, running []string) error {
	w, err := s.worker(ctx, p, workerID)
	if err != nil {
		return err
	}
	if err := s.Store.StopWorker(ctx, p.Org.ID, w.ID, running); err != nil {
		return err
	}
	s.wakeWork(context.WithoutCancel(ctx), w.IntegrationID)
	s.Logger.InfoContext(ctx, "worker stopped", "worker", w.ID, "integration", w.IntegrationID, "still_running", len(running))
	return nil
}

// Leased loads an invocation that a worker of p holds now: the worker may
// send its action's HTTP requests only while it runs it.
func (s *Service) Leased(ctx context.Context, p access.Principal, invocationID, workerID string) (store.Invocation, error) {
	inv, err := s.Store.GetInvocation(ctx, p.Org.ID, invocationID)
	if errors.Is(err, store.ErrNotFound) {
		return inv, problem.NotFound("invocation %q not found in this organization", invocationID)
	}
	if err != nil {
		return inv, err
	}
	if inv.Done() {
		return inv, problem.Conflict("invocation %q has finished (%s); its action can no longer send requests", inv.ID, inv.Status)
	}
	if inv.WorkerID != workerID {
		return inv, problem.Conflict("invocation %q is not leased to worker %q (its lease may have expired and passed to another worker)", inv.ID, workerID)
	}
	if _, err := s.worker(ctx, p, workerID); err != nil {
		return inv, err
	}
	return inv, nil
}
