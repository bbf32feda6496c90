package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/plugboard/plugboard/internal/store"
)

// A job this node writes into its own queue it may also start itself: the
// store writes it as River's fetch leaves a job it took (running its first
// attempt, by this node's client), and Run works it at once. River's fetch
// of the job cost a statement a batch of trigger runs, and its cooldown
// (20 ms) was most of a run's delivery lag; see docs/benchmarks.md. On
// SQLite, which has one node and one queue, the job goes to that queue.
//
// River still holds the job as the record of work to do:
//   - Worked, it is completed as River completes jobs, a few together.
//   - Failed, it is retryable when River's retry policy says, and River
//     works the next attempt (from this node's queue, or from the shared
//     one once adopted).
//   - When the node dies or is killed first, River's rescuer takes it, as
//     any job left running, after RescueAfter: it is then available
//     again, is adopted by another node, and is worked there. That is what
//     happened before to a job the node had fetched, and jobs were fetched
//     within a cooldown of their insert. On SQLite the node is the only
//     one, and makes its jobs left running available again as it starts
//     (Start).
//   - When the node stops, it lets started jobs finish as River lets its
//     own (Stop), and hands back those it had to cancel.

// StartedFunc works a job this node started itself. job is the row as
// written; an error makes the job retryable, as a River worker's would.
type StartedFunc func(ctx context.Context, job *rivertype.JobRow) error

// started is the bookkeeping of the jobs this node starts itself.
type started struct {
	work  map[string]StartedFunc // by kind
	slots chan struct{}          // one per job started and not finished

	mu      sync.Mutex // guards closed against working.Add racing Wait
	closed  bool
	working sync.WaitGroup  // jobs being worked
	ctx     context.Context // jobs' contexts derive from it; cancelled by a stop that runs out of time
	cancel  context.CancelFunc

	done      chan int64 // jobs worked, for the completer
	completed chan struct{}
}

// startable reports whether a job of kind may be started now, and takes a
// slot for it if so; Run gives the slot back.
func (q *Queue) startable(kind string) bool {
	s := &q.startedJobs
	if s.work[kind] == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !q.started {
		return false
	}
	select {
	case s.slots <- struct{}{}:
		return true
	default:
		return false // as many jobs as the queue runs at once: River fetches this one when one ends
	}
}

// Run works job, which the store wrote as id (0: it wrote none, as when
// every event of the batch was a repeat, or its statement failed), if
// OwnJob resolved it as started; it does nothing for any other job.
// Callers call it once for every started job OwnJob gave them.
func (q *Queue) Run(job store.JobRow, id int64) {
	if !job.Started {
		return
	}
	s := &q.startedJobs
	s.mu.Lock()
	closed := s.closed
	if id != 0 && !closed {
		s.working.Add(1)
	}
	s.mu.Unlock()
	if id == 0 || closed {
		// Not written, or written as the node stops (its committer
		// stops first, so this is not expected): River rescues it.
		<-s.slots
		return
	}
	now := time.Now()
	row := &rivertype.JobRow{ID: id, Attempt: 1, AttemptedAt: &now, AttemptedBy: []string{job.AttemptedBy}, CreatedAt: now,
		EncodedArgs: job.Args, Kind: job.Kind, MaxAttempts: job.MaxAttempts, Metadata: []byte(`{}`), Priority: job.Priority,
		Queue: job.Queue, ScheduledAt: now, State: rivertype.JobStateRunning, Tags: []string{}}
	go func() {
		defer s.working.Done()
		defer func() { <-s.slots }()
		err := q.workStarted(row)
		if err == nil {
			s.done <- id
			return
		}
		q.cfg.Logger.Warn("job failed", "kind", row.Kind, "job_id", row.ID, "attempt", row.Attempt, "error", err)
		if err := q.retryStarted(row, err); err != nil {
			q.cfg.Logger.Error("a failed job stays running until River rescues it", "kind", row.Kind, "job_id", row.ID, "error", err)
		}
	}()
}

// workStarted works row under the queue's job timeout; a panic is an
// error, as in River.
func (q *Queue) workStarted(row *rivertype.JobRow) (err error) {
	ctx, cancel := context.WithTimeout(withQueue(q.startedJobs.ctx, q), q.cfg.JobTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			q.cfg.Logger.Error("job panicked", "kind", row.Kind, "job_id", row.ID, "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return q.startedJobs.work[row.Kind](ctx, row)
}

// retryStarted records a started job's failure as River's completer
// records a worker's: the attempt's error, and the job retryable when
// River's retry policy says.
func (q *Queue) retryStarted(row *rivertype.JobRow, cause error) error {
	attempt, err := json.Marshal(rivertype.AttemptError{At: time.Now().UTC(), Attempt: row.Attempt, Error: cause.Error()})
	if err != nil {
		return err
	}
	next := (&river.DefaultClientRetryPolicy{}).NextRetry(row)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if q.own == "" {
		return q.setStates(ctx, riverdriver.JobSetStateErrorRetryable(row.ID, next, attempt, nil))
	}
	_, err = q.cfg.Store.DB().ExecContext(ctx, `UPDATE river_job SET state = 'retryable', scheduled_at = $2,
		errors = array_append(errors, $3::jsonb) WHERE id = $1 AND state = 'running'`, row.ID, next, string(attempt))
	return err
}

// completeLoop marks the jobs worked as completed, those that finish
// together in one statement (on SQLite, one transaction), until done is
// closed. A completion lost to a crash leaves its job running; River
// rescues it (on SQLite, the node's next start) and the job is worked
// again, finding its work done (a batch's settled runs are skipped).
func (q *Queue) completeLoop() {
	s := &q.startedJobs
	defer close(s.completed)
	var ids []int64
	for id := range s.done {
		ids = append(ids[:0], id)
		// Let the jobs finishing meanwhile join the statement, as River's
		// completer does.
		linger := time.NewTimer(completeLinger)
	collect:
		for len(ids) < completeEnough {
			select {
			case id, ok := <-s.done:
				if !ok {
					break collect
				}
				ids = append(ids, id)
			case <-linger.C:
				break collect
			}
		}
		linger.Stop()
		if err := q.complete(ids); err != nil {
			q.cfg.Logger.Warn("completed jobs stay running until River rescues them", "jobs", len(ids), "error", err)
		}
	}
}

// A completion waits up to completeLinger for others to share its
// statement, until there are completeEnough, as River's completer does
// (250 ms, 100 jobs). Nothing waits for it. Every 20 ms, on two nodes,
// took four times River's statements.
const (
	completeLinger = 250 * time.Millisecond
	completeEnough = 100
)

func (q *Queue) complete(ids []int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if q.own == "" {
		now := time.Now().UTC()
		states := make([]*riverdriver.JobSetStateIfRunningParams, len(ids))
		for i, id := range ids {
			states[i] = riverdriver.JobSetStateCompleted(id, now, nil)
		}
		return q.setStates(ctx, states...)
	}
	_, err := q.cfg.Store.DB().ExecContext(ctx, `UPDATE river_job SET state = 'completed', finalized_at = now()
		WHERE id = ANY($1::bigint[]) AND state = 'running'`, ids)
	return err
}

// stopStarted lets started jobs finish until ctx ends, then cancels them
// (they fail, and are retried as any failed job), and writes the last
// completions.
func (q *Queue) stopStarted(ctx context.Context) error {
	s := &q.startedJobs
	if s.done == nil {
		return nil
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		s.working.Wait()
		close(finished)
	}()
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = ctx.Err()
		s.cancel()
		select {
		case <-finished:
		case <-time.After(5 * time.Second):
			// A job that ignores its cancellation: River rescues it.
			return fmt.Errorf("started jobs still running after their cancellation: %w", err)
		}
	}
	s.cancel()
	close(s.done)
	<-s.completed
	return err
}

type queueKey struct{}

func withQueue(ctx context.Context, q *Queue) context.Context {
	return context.WithValue(ctx, queueKey{}, q)
}

// InsertFromJob enqueues jobs from within a job's Work, whether River
// fetched the job or this node started it (Run).
func InsertFromJob(ctx context.Context, jobs []river.InsertManyParams) error {
	if q, ok := ctx.Value(queueKey{}).(*Queue); ok {
		_, err := q.client.InsertMany(ctx, jobs)
		return err
	}
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return errors.New("jobs: InsertFromJob outside a job")
	}
	_, err = client.InsertMany(ctx, jobs)
	return err
}

// setStates sets the states of running jobs with the SQLite driver's own
// statements, as River's completer does, for the text its columns hold
// (times, JSON arrays) to be River's.
func (q *Queue) setStates(ctx context.Context, states ...*riverdriver.JobSetStateIfRunningParams) error {
	n := len(states)
	p := &riverdriver.JobSetStateIfRunningManyParams{ID: make([]int64, n), Attempt: make([]*int, n), ErrData: make([][]byte, n),
		FinalizedAt: make([]*time.Time, n), MetadataDoMerge: make([]bool, n), MetadataUpdates: make([][]byte, n),
		ScheduledAt: make([]*time.Time, n), State: make([]rivertype.JobState, n)}
	for i, st := range states {
		p.ID[i], p.Attempt[i], p.ErrData[i], p.FinalizedAt[i] = st.ID, st.Attempt, st.ErrData, st.FinalizedAt
		p.MetadataDoMerge[i], p.MetadataUpdates[i], p.ScheduledAt[i], p.State[i] = st.MetadataDoMerge, st.MetadataUpdates, st.ScheduledAt, st.State
	}
	_, err := q.driver.GetExecutor().JobSetStateIfRunningMany(ctx, p)
	return err
}
