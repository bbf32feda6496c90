package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
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
	rows, err := s.intakeDB.QueryContext(ctx, pgInsertIntake, args...)
	var jobID sql.NullInt64
	inserted, err := storedEvents(events, rows, err, &jobID)
	return inserted, jobID.Int64, err
}

// The intake's statements run on connections of their own, as the
// settler's do (settle_pg.go), instead of the store's pool. From the pool
// each statement took whichever connection was returned last, and between
// the queue's fetches, the call log and the reads that was a different one
// almost every time: on two nodes fifteen server processes took turns with
// the writes where one node's intake and settler need two each, and every
// process that takes a turn brings its own caches and memory back into the
// CPU's. On its own connection, two nodes delivered 2–26% more triggered
// events a second for 5–11% less CPU per event (docs/benchmarks.md).
//
// intakeConns bounds the connections: one per committer writing at once,
// and each node runs one (webhook.Config.Committers); pgxpool opens a
// connection only when a statement needs one.
const intakeConns = 4

// startIntake opens the intake's connections, configured as the store's
// pool is and named for pg_stat_activity.
func (s *Store) startIntake(ctx context.Context) error {
	pool, err := pgxpool.NewWithConfig(ctx, s.ownConnsConfig("intake", intakeConns))
	if err != nil {
		return fmt.Errorf("connect postgres for the intake: %w", err)
	}
	s.intakePool, s.intakeDB = pool, stdlib.OpenDBFromPool(pool)
	return nil
}

// ownConnsConfig is the store's pool configuration for at most max
// connections of a writer of its own, named in application_name after the
// name the database URL gave, if any, or plugboard.
func (s *Store) ownConnsConfig(writer string, max int32) *pgxpool.Config {
	cfg := s.pgPool.Config()
	cfg.MaxConns, cfg.MinConns = max, 0
	name := cfg.ConnConfig.RuntimeParams["application_name"]
	if name == "" {
		name = "plugboard"
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = name + " " + writer
	return cfg
}
