package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhook/trigger"
)

// TriggerRunArgs is the job that performs one attempt of a trigger run.
type TriggerRunArgs struct {
	RunID string `json:"run_id"`
}

// Kind names the job in River's table.
func (TriggerRunArgs) Kind() string { return "trigger_run" }

// triggerRunWorker runs a trigger's action (or forward) for an event. The
// run's own row, not River's attempt counter, holds the attempt count and
// the retry schedule: a retry is a snooze, and a job whose run is already
// settled completes without calling anything.
type triggerRunWorker struct {
	river.WorkerDefaults[TriggerRunArgs]
	q     *Queue
	cache *triggerCache
}

// outcome is what one attempt produced.
type outcome struct {
	status     int // HTTP status; 0 when no response came back
	err        string
	logID      string
	retryAfter time.Duration
	final      bool // do not retry whatever the status
}

func (w *triggerRunWorker) Work(ctx context.Context, job *river.Job[TriggerRunArgs]) error {
	s := w.q.cfg.Store
	run, event, err := s.RunForWork(ctx, job.Args.RunID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the webhook or event was deleted
	}
	if err != nil {
		return err
	}
	if run.Status == store.RunSucceeded || run.Status == store.RunDead {
		return nil // already settled before a crash cut the job short; River completes it
	}
	if wait := time.Until(run.NextAt); run.Status == store.RunRetrying && wait > 0 {
		return river.JobSnooze(wait)
	}
	cw, err := w.cache.get(ctx, run.WebhookID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	start := time.Now()
	var out outcome
	if tr, ok := cw.triggers[run.TriggerID]; ok {
		out = w.attempt(ctx, cw, tr, run, event)
	} else {
		out = outcome{err: "the trigger was removed from the webhook", final: true}
	}
	if ctx.Err() != nil && out.status == 0 {
		// Shutting down: try again at the next start without using up an attempt.
		return river.JobSnooze(0)
	}
	return w.q.settle(ctx, run, cw.policy, start, out)
}

// attempt evaluates the params and calls the target once.
func (w *triggerRunWorker) attempt(ctx context.Context, cw *compiledWebhook, tr *trigger.Trigger, run store.TriggerRun, event store.Event) outcome {
	var h http.Header
	if err := json.Unmarshal([]byte(event.Headers), &h); err != nil {
		return outcome{err: "stored headers are unreadable: " + err.Error(), final: true}
	}
	key := idempotencyKey(run)
	if tr.Spec.URL != "" {
		return w.forward(ctx, tr.Spec.URL, h, event, key)
	}
	params, err := tr.Params(trigger.Env(cw.info, h, event.Body))
	if err != nil {
		return outcome{err: err.Error(), final: true}
	}
	res, err := w.q.cfg.Executor.Run(ctx, executor.Call{
		OrgID: cw.orgID, Integration: tr.Spec.Integration, Action: tr.Spec.Action, Environment: tr.Spec.Environment,
		Params: params, Version: executor.VersionDeployed, Source: "trigger", Actor: cw.info.ID, IdempotencyKey: key,
	})
	if err != nil {
		if p, ok := problem.As(err); ok {
			return outcome{status: p.Status, err: p.Error(), retryAfter: p.RetryAfter}
		}
		return outcome{err: err.Error()}
	}
	out := outcome{status: res.Status, logID: res.LogID, retryAfter: retryAfter(res.Headers["Retry-After"], time.Now())}
	if res.Status >= 400 {
		out.err = fmt.Sprintf("the action answered HTTP %d", res.Status)
	}
	return out
}

// forward posts the event body as received to url, through the outbound
// guard like every other call.
func (w *triggerRunWorker) forward(ctx context.Context, target string, h http.Header, event store.Event, key string) outcome {
	header := http.Header{}
	if ct := h.Get("Content-Type"); ct != "" {
		header.Set("Content-Type", ct)
	}
	header.Set("X-Plugboard-Event-Id", event.ID)
	header.Set("X-Plugboard-Webhook-Id", event.WebhookID)
	u, _ := url.Parse(target)
	res, err := w.q.cfg.Outbound.Do(ctx, &outbound.Request{
		Key: "forward:" + u.Host, Method: http.MethodPost, URL: target, Header: header, Body: event.Body, IdempotencyKey: key,
	})
	if err != nil {
		return outcome{err: err.Error()}
	}
	out := outcome{status: res.Status, retryAfter: retryAfter(res.Header.Get("Retry-After"), time.Now())}
	if res.Status >= 400 {
		out.err = fmt.Sprintf("the forward target answered HTTP %d", res.Status)
	}
	return out
}

// idempotencyKey is stable across the retries of a run, so the receiver
// can drop a repeat of an attempt whose answer was lost; a manual replay
// starts a new series on purpose.
func idempotencyKey(run store.TriggerRun) string {
	key := run.EventID + ":" + run.TriggerID
	if run.Replays > 0 {
		key += ":replay" + strconv.Itoa(run.Replays)
	}
	return key
}

// settle records the attempt and decides: succeeded, retry later, or dead.
func (q *Queue) settle(ctx context.Context, run store.TriggerRun, policy RetryPolicy, start time.Time, out outcome) error {
	attempt := store.Attempt{
		Status: "failed", HTTPStatus: out.status, DurationMS: float64(time.Since(start).Microseconds()) / 1000,
		Error: out.err, LogID: out.logID, StartedAt: start,
	}
	number := run.Attempts + 1
	status := store.RunDead
	var next time.Time
	var delay time.Duration
	switch {
	case out.err == "" && out.status < 400:
		attempt.Status, status = "succeeded", store.RunSucceeded
	case !out.final && Retryable(out.status) && number < policy.MaxAttempts:
		status = store.RunRetrying
		delay = policy.Delay(number, out.retryAfter)
		next = time.Now().Add(delay)
	}
	// The run's own row records the outcome; River completes the job after
	// Work returns. A crash between the two re-runs the job, which finds the
	// run settled and stops (see Work). Completing the job inside this
	// transaction as well cost SQLite's River driver two more statements
	// per run, a third of a trigger run's CPU.
	err := q.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		return tx.RecordAttempt(ctx, run.ID, attempt, status, next)
	})
	if err != nil {
		return err
	}
	if q.cfg.Metrics != nil {
		q.cfg.Metrics.TriggerRuns.WithLabelValues(status).Inc()
	}
	if status == store.RunDead {
		q.cfg.Logger.WarnContext(ctx, "trigger run is dead", "run_id", run.ID, "event_id", run.EventID, "trigger_id", run.TriggerID, "attempts", number, "error", out.err)
	}
	if status == store.RunRetrying {
		return river.JobSnooze(delay)
	}
	return nil
}
