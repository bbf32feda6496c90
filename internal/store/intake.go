package store

import (
	"context"
	"errors"
)

// JobRow is a job of the queue's table (River's river_job) as the job
// queue resolved it (jobs.Queue.OwnJob), for the store to write beside the
// rows it is about in the same statement.
type JobRow struct {
	Kind        string
	Args        []byte // the job's arguments, JSON
	Queue       string
	MaxAttempts int
	Priority    int
	// Payload, when set, is notified on the current schema's channel
	// named Topic once the job commits, so that the queue's workers fetch
	// it at once instead of at their next poll.
	Topic, Payload string
}

// InsertIntake stores on PostgreSQL, with one statement and no
// transaction around it, what a transaction of InsertEventsWithRuns and
// the queue's insert of job would: the events, the runs of those stored,
// and job if any run was, all or nothing. It reports which events were
// new. The transaction took five round trips a batch (begin, the events
// and runs, the job, commit) where this takes one; see docs/benchmarks.md.
func (s *Store) InsertIntake(ctx context.Context, events []Event, runs []TriggerRun, job JobRow) ([]bool, error) {
	if s.engine != Postgres {
		return nil, errors.New("store: InsertIntake is for PostgreSQL; use InsertEventsWithRuns in a transaction")
	}
	if len(events) == 0 {
		return nil, nil
	}
	args := append(eventsAndRunsArgs(events, runs), string(job.Args), job.Kind, job.MaxAttempts, job.Priority, job.Queue, job.Topic, job.Payload)
	rows, err := s.w.QueryContext(ctx, pgInsertIntake, args...)
	return storedEvents(events, rows, err)
}
