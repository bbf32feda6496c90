package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/approval"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/jobs"
	"github.com/plugboard/plugboard/internal/metrics"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// RunArgs is the job that performs one attempt of a trigger run: a run of
// a batch to try again later, or one enqueued before batches of one.
type RunArgs struct {
	RunID string `json:"run_id"`
}

// Kind names the job in River's table.
func (RunArgs) Kind() string { return "trigger_run" }

// BatchArgs is the job that performs the first attempt of the runs
// written together (an ingest batch's, or a replay's), one or several: one
// job to insert, fetch and complete instead of one per run. Each run's own
// row still decides what happens to it; a run to try again later gets a
// job of its own (RunArgs).
type BatchArgs struct {
	RunIDs []string `json:"run_ids"`
}

// Kind names the job in River's table.
func (BatchArgs) Kind() string { return "trigger_runs" }

// Jobs are the jobs of trigger runs, to enqueue in the transaction that
// writes the runs' rows: one batch, even of one run. A lone event's run is
// then worked as a batch's are, started by the node that wrote it and
// handed over in memory (jobs.Queue.Run, Handoff), where a run of its own
// waited for River's fetch and read its rows back: on PostgreSQL, with one
// client sending, a run's delivery lag fell from 14 ms to 0.5 ms at the
// median (docs/benchmarks.md).
func Jobs(runIDs []string) []river.InsertManyParams {
	if len(runIDs) == 0 {
		return nil
	}
	return []river.InsertManyParams{{Args: BatchArgs{RunIDs: runIDs}}}
}

// RunnerConfig wires a Runner; every field is required but Metrics and
// Logger.
type RunnerConfig struct {
	Store    *store.Store
	Rules    *access.Rules
	Actions  *action.Service
	Outbound *outbound.Client // forwards
	Metrics  *metrics.Metrics
	Logger   *slog.Logger
	// Handoff, when set, is where this node's ingest leaves the runs of
	// each batch job with their events.
	Handoff *Handoff
	// ApprovalPoll is how often a run waiting for approval looks whether
	// it was decided. Defaults to 15s.
	ApprovalPoll time.Duration
}

// Runner works trigger runs: it runs a trigger's action (or forward) for
// an event, as the member who made the trigger. The run's own row, not
// River's attempt counter, holds the attempt count and the retry
// schedule: a retry is a snooze, and a job whose run is already settled
// completes without calling anything.
type Runner struct {
	river.WorkerDefaults[RunArgs]
	cfg   RunnerConfig
	cache *cache
	pool  *pool // works a batch's runs
}

// NewRunner returns the runner; Register adds it to the queue's workers.
func NewRunner(cfg RunnerConfig) *Runner {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{cfg: cfg, cache: newCache(cfg.Store), pool: newPool(10 * time.Second)}
}

// Register adds the runner to River's workers.
func (w *Runner) Register(workers *river.Workers) {
	river.AddWorker(workers, w)
	river.AddWorker(workers, &batchRunner{runner: w})
}

// batchRunner works a batch's runs at once, each as Work would alone. A
// run Work would snooze (a retry later, an approval to wait for, a
// shutdown) goes on in a job of its own, scheduled for then and unique per
// run, so that a batch worked again after a crash adds no second one. Any
// other failure fails the batch, which River tries again: runs already
// settled are skipped then.
type batchRunner struct {
	river.WorkerDefaults[BatchArgs]
	runner *Runner
}

func (b *batchRunner) Work(ctx context.Context, job *river.Job[BatchArgs]) error {
	// The batch's runs and events come from this node's ingest in memory
	// on the job's first attempt (see Handoff), or are read together; each
	// webhook's compiled triggers are checked once for the batch.
	runs, events, err := b.load(ctx, job)
	if err != nil {
		return err
	}
	hooks := map[string]*compiledWebhook{}
	for _, run := range runs {
		if _, seen := hooks[run.WebhookID]; seen {
			continue
		}
		cw, err := b.runner.cache.get(ctx, run.WebhookID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		hooks[run.WebhookID] = cw // nil: the webhook was deleted
	}
	errs := make([]error, len(job.Args.RunIDs))
	var wg sync.WaitGroup
	for i, id := range job.Args.RunIDs {
		run, ok := runs[id]
		if !ok {
			continue // the webhook or event was deleted
		}
		wg.Add(1)
		b.runner.pool.Go(&wg, func() { errs[i] = b.runner.workLoaded(ctx, run, events[run.EventID], hooks[run.WebhookID]) })
	}
	wg.Wait()
	var later []river.InsertManyParams
	var failed []error
	for i, err := range errs {
		var snooze *rivertype.JobSnoozeError
		switch {
		case err == nil:
		case errors.As(err, &snooze):
			later = append(later, river.InsertManyParams{Args: RunArgs{RunID: job.Args.RunIDs[i]}, InsertOpts: &river.InsertOpts{
				ScheduledAt: time.Now().Add(snooze.Duration),
				// Not among completed jobs: only while one is still to run.
				UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable,
					rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}},
			}})
		default:
			failed = append(failed, err)
		}
	}
	if len(later) > 0 {
		if err := jobs.InsertFromJob(context.WithoutCancel(ctx), later); err != nil {
			failed = append(failed, fmt.Errorf("schedule %d runs again: %w", len(later), err))
		}
	}
	return errors.Join(failed...)
}

// WorkStarted works a batch job this node started itself as its ingest
// wrote it (jobs.Queue.Run), as Work does one River fetched.
func (w *Runner) WorkStarted(ctx context.Context, row *rivertype.JobRow) error {
	var args BatchArgs
	if err := json.Unmarshal(row.EncodedArgs, &args); err != nil {
		return fmt.Errorf("trigger runs job %d: %w", row.ID, err)
	}
	return (&batchRunner{runner: w}).Work(ctx, &river.Job[BatchArgs]{JobRow: row, Args: args})
}

// load gives the batch's runs and their events: those the handoff holds
// on the job's first attempt, the rest (and all of them on a later one)
// read from the store.
func (b *batchRunner) load(ctx context.Context, job *river.Job[BatchArgs]) (map[string]store.TriggerRun, map[string]store.Event, error) {
	h := b.runner.cfg.Handoff
	if job.Attempt != 1 {
		h.Drop(job.Args.RunIDs)
		return b.runner.cfg.Store.RunsForWork(ctx, job.Args.RunIDs)
	}
	runs, events, missing := h.Take(job.Args.RunIDs)
	if len(missing) == 0 {
		return runs, events, nil
	}
	read, readEvents, err := b.runner.cfg.Store.RunsForWork(ctx, missing)
	if err != nil {
		return nil, nil, err
	}
	maps.Copy(runs, read)
	maps.Copy(events, readEvents)
	return runs, events, nil
}

// outcome is what one attempt produced.
type outcome struct {
	status     int // HTTP status; 0 when no response came back
	err        string
	logID      string
	retryAfter time.Duration
	final      bool // do not retry whatever the status
	// awaiting is the approval the call waits for; the run neither
	// succeeds nor fails yet.
	awaiting *approval.Pending
}

// Work performs one attempt of a run.
func (w *Runner) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	return w.work(ctx, job.Args.RunID)
}

// work performs one attempt of run runID; a retry later is a snooze.
func (w *Runner) work(ctx context.Context, runID string) error {
	s := w.cfg.Store
	run, event, err := s.RunForWork(ctx, runID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the webhook or event was deleted
	}
	if err != nil {
		return err
	}
	if settled(run) {
		return nil
	}
	cw, err := w.cache.get(ctx, run.WebhookID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return w.workLoaded(ctx, run, event, cw)
}

// settled reports whether run was settled before a crash cut its job
// short; River completes the job then.
func settled(run store.TriggerRun) bool {
	return run.Status == store.RunSucceeded || run.Status == store.RunDead
}

// workLoaded works run, read with its event, against its webhook's
// compiled triggers (nil when the webhook was deleted).
func (w *Runner) workLoaded(ctx context.Context, run store.TriggerRun, event store.Event, cw *compiledWebhook) error {
	if settled(run) || cw == nil {
		return nil
	}
	if wait := time.Until(run.NextAt); (run.Status == store.RunRetrying || run.Status == store.RunAwaitingApproval) && wait > 0 {
		return river.JobSnooze(wait)
	}
	start := time.Now()
	var out outcome
	if tr, ok := cw.triggers[run.TriggerID]; ok {
		out = w.attempt(ctx, cw, tr, cw.creators[run.TriggerID], run, event)
	} else {
		out = outcome{err: "the trigger was removed from the webhook", final: true}
	}
	if ctx.Err() != nil && out.status == 0 {
		// Shutting down: try again at the next start without using up an attempt.
		return river.JobSnooze(0)
	}
	if out.awaiting != nil {
		return w.await(ctx, run, out.awaiting)
	}
	return w.settle(ctx, run, cw.policy, start, out)
}

// await parks a run whose call waits for approval, and looks again after
// ApprovalPoll (or at the approval's expiry, if sooner).
func (w *Runner) await(ctx context.Context, run store.TriggerRun, pend *approval.Pending) error {
	poll := w.cfg.ApprovalPoll
	if poll <= 0 {
		poll = 15 * time.Second
	}
	delay := min(poll, max(time.Until(pend.Approval.ExpiresAt), 0)+10*time.Millisecond)
	if err := w.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		return tx.AwaitApproval(ctx, run.ID, pend.Approval.ID, time.Now().Add(delay))
	}); err != nil {
		return err
	}
	return river.JobSnooze(delay)
}

// attempt evaluates the params and calls the target once, as the member
// who made the trigger: whether they may still run it, and use its
// integration, is decided now, so a later restriction or their leaving
// stops the trigger.
func (w *Runner) attempt(ctx context.Context, cw *compiledWebhook, tr *Trigger, creator string, run store.TriggerRun, event store.Event) outcome {
	var h http.Header
	if err := json.Unmarshal([]byte(event.Headers), &h); err != nil {
		return outcome{err: "stored headers are unreadable: " + err.Error(), final: true}
	}
	member, err := w.cfg.Rules.Member(ctx, cw.orgID, creator)
	if errors.Is(err, store.ErrNotFound) {
		return outcome{err: "the member who made this trigger is no longer in the organization; a member who may run it must add it again", final: true}
	}
	if err != nil {
		return outcome{err: err.Error()}
	}
	p := access.ForTrigger(member, cw.info.ID, tr.ID)
	key := idempotencyKey(run)
	if tr.Spec.URL != "" {
		if err := p.May(access.Run); err != nil {
			return outcome{status: http.StatusForbidden, err: err.Error(), final: true}
		}
		return w.forward(ctx, tr.Spec.URL, h, event, key)
	}
	params, err := tr.Params(Env(cw.info, h, event.Body))
	if err != nil {
		return outcome{err: err.Error(), final: true}
	}
	res, _, err := w.cfg.Actions.Run(ctx, p, action.Input{
		Integration: tr.Spec.Integration, Action: tr.Spec.Action, Environment: tr.Spec.Environment,
		Params: params, Version: executor.VersionDeployed, IdempotencyKey: key,
	})
	if pend, ok := approval.AsPending(err); ok {
		return outcome{awaiting: pend}
	}
	if err != nil {
		if pe, ok := problem.As(err); ok {
			msg := pe.Error()
			if pe.Status == http.StatusForbidden || pe.Status == http.StatusNotFound {
				msg = fmt.Sprintf("the trigger runs as %s: %s", member.User.Email, msg)
			}
			return outcome{status: pe.Status, err: msg, retryAfter: pe.RetryAfter}
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
func (w *Runner) forward(ctx context.Context, target string, h http.Header, event store.Event, key string) outcome {
	header := http.Header{}
	if ct := h.Get("Content-Type"); ct != "" {
		header.Set("Content-Type", ct)
	}
	header.Set("X-Plugboard-Event-Id", event.ID)
	header.Set("X-Plugboard-Webhook-Id", event.WebhookID)
	u, _ := url.Parse(target)
	res, err := w.cfg.Outbound.Do(ctx, &outbound.Request{
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
func (w *Runner) settle(ctx context.Context, run store.TriggerRun, policy RetryPolicy, start time.Time, out outcome) error {
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
	if err := w.cfg.Store.SettleRun(ctx, run.ID, attempt, status, next); err != nil {
		return err
	}
	if w.cfg.Metrics != nil {
		w.cfg.Metrics.TriggerRuns.WithLabelValues(status).Inc()
		// A run is made when its event is committed, at the event's
		// arrival; a growing delay of first attempts is a backlog. Runs
		// that waited for a person's approval would only blur it.
		if number == 1 && run.Replays == 0 && run.Status != store.RunAwaitingApproval && !run.CreatedAt.IsZero() {
			w.cfg.Metrics.TriggerRunDelay.Observe(time.Since(run.CreatedAt).Seconds())
		}
	}
	if status == store.RunDead {
		w.cfg.Logger.WarnContext(ctx, "trigger run is dead", "run_id", run.ID, "event_id", run.EventID, "trigger_id", run.TriggerID, "attempts", number, "error", out.err)
	}
	if status == store.RunRetrying {
		return river.JobSnooze(delay)
	}
	return nil
}
