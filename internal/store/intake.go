package store

import (
	"context"
	"database/sql"
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
	// Started writes the job as River's fetch leaves a job it took:
	// running its first attempt, by the client AttemptedBy. The node that
	// writes it works it at once, without fetching it (jobs.Queue.Run).
	Started     bool
	AttemptedBy string
}

// InsertIntake stores on PostgreSQL, with one statement and no
// transaction around it, what a transaction of InsertEventsWithRuns and
// the queue's insert of job would: the events, the runs of those stored,
// and job if any run was, all or nothing. It reports which events were
// new, and the job's id (0 when no job was written). The transaction took
// five round trips a batch (begin, the events and runs, the job, commit)
// where this takes one; see docs/benchmarks.md.
func (s *Store) InsertIntake(ctx context.Context, events []Event, runs []TriggerRun, job JobRow) ([]bool, int64, error) {
	if s.engine != Postgres {
		return nil, 0, errors.New("store: InsertIntake is for PostgreSQL; use InsertEventsWithRuns in a transaction")
	}
	if len(events) == 0 {
		return nil, 0, nil
	}
	var attemptedBy []string
	if job.Started {
		attemptedBy = []string{job.AttemptedBy}
	}
	args := append(eventsAndRunsArgs(events, runs), string(job.Args), job.Kind, job.MaxAttempts, job.Priority, job.Queue, job.Topic, job.Payload,
		job.Started, attemptedBy)
	rows, err := s.w.QueryContext(ctx, pgInsertIntake, args...)
	var jobID sql.NullInt64
	inserted, err := storedEvents(events, rows, err, &jobID)
	return inserted, jobID.Int64, err
}
