package webhook

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/plugboard/plugboard/internal/jobs"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/trigger"
)

// errClosing is returned for deliveries that arrive while the node stops.
var errClosing = errors.New("the server is shutting down")

// accepted is one verified delivery waiting for its commit.
type accepted struct {
	event    store.Event
	triggers []string // ids of the triggers whose condition matched
	done     chan commitResult
}

type commitResult struct {
	duplicate bool
	err       error
}

// committer is group commit: deliveries queue up while a transaction is
// being written, and the next transaction takes all of them (up to
// maxBatch, waiting at most maxWait for more), so one disk sync covers many
// events. Each delivery's caller is released only after the transaction
// holding its event, runs and jobs has committed.
type committer struct {
	store    *store.Store
	queue    *jobs.Queue
	handoff  *trigger.Handoff // nil: none
	logger   *slog.Logger
	maxBatch int
	maxWait  time.Duration
	workers  int
	eager    int // a batch this large commits without waiting for more; see eagerBatch

	in     chan *accepted
	mu     sync.RWMutex // guards closed against sends racing close
	closed bool
	wg     sync.WaitGroup
}

// eagerBatch is the batch that commits at once; a smaller one waits up to
// maxWait for more. A commit costs about the same for a few events as for
// a few dozen (the disk sync, the pages of the indexes it touches), so on a
// busy node waiting for a bigger batch costs less CPU per event: with 50
// senders on SQLite, 32 instead of 8 took ingest from 137–172 to 122–130 µs
// of CPU per event and from 0.30–0.33 to 0.37–0.39 of the bare sink
// (docs/benchmarks.md). A lone event still waits at most maxWait.
const eagerBatch = 32

func newCommitter(s *store.Store, q *jobs.Queue, h *trigger.Handoff, logger *slog.Logger, maxBatch int, maxWait time.Duration, workers int) *committer {
	return &committer{store: s, queue: q, handoff: h, logger: logger, maxBatch: maxBatch, maxWait: maxWait, workers: workers, eager: eagerBatch,
		in: make(chan *accepted, 4*maxBatch)}
}

func (c *committer) start(ctx context.Context) {
	for range c.workers {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.loop(context.WithoutCancel(ctx))
		}()
	}
}

// close stops taking deliveries, commits the queued ones and waits.
func (c *committer) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.in)
	c.mu.Unlock()
	c.wg.Wait()
}

// submit queues a and waits for its commit.
func (c *committer) submit(ctx context.Context, a *accepted) commitResult {
	a.done = make(chan commitResult, 1)
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return commitResult{err: errClosing}
	}
	select {
	case c.in <- a:
	case <-ctx.Done():
		c.mu.RUnlock()
		return commitResult{err: ctx.Err()}
	}
	c.mu.RUnlock()
	// Once queued the event will be committed even if the sender hangs up;
	// the answer must wait for the commit either way.
	return <-a.done
}

func (c *committer) loop(ctx context.Context) {
	batch := make([]*accepted, 0, c.maxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		first, ok := <-c.in
		if !ok {
			return
		}
		batch = append(batch[:0], first)
		// Take what queued up while the previous batch was committing,
		// then wait up to maxWait for more only if that was little: a
		// busy node commits back to back, a quiet one adds at most
		// maxWait to an event's answer.
		timer.Reset(c.maxWait)
	collect:
		for len(batch) < c.maxBatch {
			select {
			case a, ok := <-c.in:
				if !ok {
					break collect
				}
				batch = append(batch, a)
				continue
			default:
			}
			if len(batch) >= c.eager {
				break collect
			}
			select {
			case a, ok := <-c.in:
				if !ok {
					break collect
				}
				batch = append(batch, a)
			case <-timer.C:
				break collect
			}
		}
		timer.Stop()
		c.commit(ctx, batch)
	}
}

// commit writes a batch in one transaction. When that fails each delivery
// is tried alone, so one bad event cannot fail the others.
func (c *committer) commit(ctx context.Context, batch []*accepted) {
	results := make([]commitResult, len(batch))
	err := c.write(ctx, batch, results)
	if err != nil && len(batch) > 1 {
		c.logger.WarnContext(ctx, "webhook batch commit failed; committing one by one", "events", len(batch), "error", err)
		for i, a := range batch {
			one := []commitResult{{}}
			if err := c.write(ctx, []*accepted{a}, one); err != nil {
				one[0] = commitResult{err: err}
			}
			results[i] = one[0]
		}
	} else if err != nil {
		results[0] = commitResult{err: err}
	}
	for i, a := range batch {
		a.done <- results[i]
	}
}

func (c *committer) write(ctx context.Context, batch []*accepted, results []commitResult) error {
	events := make([]store.Event, len(batch))
	runsAny := false
	for i, a := range batch {
		events[i] = a.event
		runsAny = runsAny || len(a.triggers) > 0
	}
	if !runsAny {
		// Events alone are one statement: no transaction to hold open.
		inserted, err := c.store.InsertEvents(ctx, events)
		if err != nil {
			return err
		}
		markNew(inserted, results)
		return nil
	}
	// Every matched trigger's run, written with its event only if the
	// event is (see store.Tx.InsertEventsWithRuns).
	var candidates []store.TriggerRun
	for _, a := range batch {
		for _, trigger := range a.triggers {
			candidates = append(candidates, store.TriggerRun{ID: store.NewRunID(), OrgID: a.event.OrgID, WebhookID: a.event.WebhookID,
				EventID: a.event.ID, TriggerID: trigger, CreatedAt: a.event.ReceivedAt})
		}
	}
	var runs []store.TriggerRun
	ids := make([]string, len(candidates))
	for i, r := range candidates {
		ids[i] = r.ID
	}
	// The job names every run; a run not written, its event a repeat, is
	// one its worker does not find, as if the event had been deleted. On
	// PostgreSQL the events, the runs and their job are one statement. On
	// SQLite a job this node starts is written in the transaction beside
	// them, and any other is enqueued there by River.
	job, one, err := c.queue.OwnJob(trigger.Jobs(ids))
	if err != nil {
		return err
	}
	if one && c.store.Engine() == store.Postgres {
		inserted, jobID, err := c.store.InsertIntake(ctx, events, candidates, job)
		if err != nil {
			c.queue.Run(job, 0)
			return err
		}
		runs = storedRuns(events, inserted, candidates, results)
		// A job this node started is worked from here on; its runs must
		// be in the handoff first.
		defer c.queue.Run(job, jobID)
	} else {
		var jobID int64
		err = c.store.InTx(ctx, func(tx *store.Tx) error {
			inserted, err := tx.InsertEventsWithRuns(ctx, events, candidates)
			if err != nil {
				return err
			}
			runs = storedRuns(events, inserted, candidates, results)
			if len(runs) == 0 {
				return nil
			}
			if one {
				// SQLite: the job this node starts, in the transaction.
				jobID, err = c.queue.InsertStartedTx(ctx, tx.SQL(), job)
				return err
			}
			runIDs := make([]string, len(runs))
			for i, r := range runs {
				runIDs[i] = r.ID
			}
			// The runs go to this node's trigger runner in memory below, so
			// their jobs go to its own queue.
			return c.queue.InsertOwnTx(ctx, tx.SQL(), trigger.Jobs(runIDs))
		})
		if one {
			if err != nil {
				jobID = 0 // written, but not committed
			}
			// As above: worked once its runs are in the handoff.
			defer c.queue.Run(job, jobID)
		}
	}
	if err == nil && c.handoff != nil && len(runs) > 0 {
		// A batch job's runs go to it in memory too; see trigger.Handoff.
		byID := make(map[string]*store.Event, len(batch))
		for _, a := range batch {
			e := a.event.AsStored()
			byID[e.ID] = &e
		}
		handed := make([]store.TriggerRun, len(runs))
		for i, r := range runs {
			handed[i] = r.AsInserted()
		}
		c.handoff.Put(handed, byID)
	}
	return err
}

// storedRuns records in results which events were new (inserted, in
// order) and gives the runs of candidates that were written with them.
func storedRuns(events []store.Event, inserted []bool, candidates []store.TriggerRun, results []commitResult) []store.TriggerRun {
	markNew(inserted, results)
	return store.RunsOfStored(events, inserted, candidates)
}

// markNew records in results which events of a batch were new.
func markNew(inserted []bool, results []commitResult) {
	for i := range inserted {
		results[i] = commitResult{duplicate: !inserted[i]}
	}
}
