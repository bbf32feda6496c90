package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// On PostgreSQL the settlements of runs that finish together share one
// statement: the loop below takes every settlement queued while the last
// statement ran and writes them with one array per column. Each caller
// returns once the statement holding its settlement has committed, so a
// settlement is as durable when SettleRun returns as on its own. One run
// a statement cost the database a commit, and most of its CPU, per
// triggered event. A statement that fails, or finds fewer runs than it
// was given, is written again one run at a time, so each caller gets its
// own answer.
//
// The statement runs on a connection of its own that plans it once
// (plan_cache_mode = force_generic_plan). PostgreSQL plans a prepared
// statement again for its parameters whenever that looks cheaper than
// the plan it keeps, and for this one it does whenever fewer than ten
// runs settle together: the kept plan is costed for ten. The batches
// are that small when runs finish a few at a time, as on a node that
// shares the intake with others, and planning took half a millisecond,
// more than writing the runs. The plan is the same either way: each run
// is found by its primary key.
//
// A plan made once is made for the tables as they were then, and a new
// installation's are empty: for a few rows the planner prefers reading
// all of trigger_runs to its index, and kept that plan, one whole-table
// scan a statement, until the next ANALYZE, which never comes where
// autovacuum is off (a run of 70,000 events took a second a statement).
// The settler's connection therefore forbids sequential scans, hash and
// merge joins: every run is reached through its index however small the
// table was when the plan was made.

const pgSettleRuns = `WITH v AS (
		SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::double precision[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::bigint[])
			AS v (run_id, attempt_status, http_status, duration_ms, error, log_id, started_at, status, next_at)),
	attempt AS (
		INSERT INTO trigger_attempts (run_id, number, status, http_status, duration_ms, error, log_id, started_at)
		SELECT run_id, (SELECT COUNT(*) + 1 FROM trigger_attempts a WHERE a.run_id = v.run_id), attempt_status, http_status, duration_ms, error, log_id, started_at
		FROM v)
	UPDATE trigger_runs r SET status = v.status, attempts = r.attempts + 1, next_at = v.next_at, last_status = v.http_status, last_error = v.error, updated_at = $10
	FROM v WHERE r.id = v.run_id`

type settlement struct {
	runID  string
	a      Attempt
	status string
	nextAt time.Time
}

// A statement waits up to settleLinger for more settlements while it holds
// fewer than settleEnough. The runs of a batch job finish a few at a
// time, and on a node that shares the intake with others its batches are
// small: on two nodes sharing 50 senders, lingering 1 ms took a statement
// from 6.7 to 9.3 runs and triggered events from 1,012–1,143 to
// 1,180–1,208 a second (docs/benchmarks.md). Without the floor, one node,
// whose statements were large already, lost about 3%.
const (
	settleLinger = time.Millisecond
	settleEnough = 16
)

// startSettler opens the settler's connection, configured as the store's
// pool is, and starts its loop.
func (s *Store) startSettler(ctx context.Context) error {
	// One loop writes the settlements, one statement at a time.
	cfg := s.ownConnsConfig("settler", 1)
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	for _, p := range []string{"enable_seqscan", "enable_hashjoin", "enable_mergejoin"} {
		cfg.ConnConfig.RuntimeParams[p] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect postgres for the settler: %w", err)
	}
	s.settlePool, s.settleDB = pool, stdlib.OpenDBFromPool(pool)
	s.settles = startLingeringBatcher(maxGroup, settleLinger, settleEnough, s.settleBatch)
	return nil
}

// settlePG queues a settlement and waits for the statement that holds it.
func (s *Store) settlePG(ctx context.Context, runID string, a Attempt, status string, nextAt time.Time) error {
	return s.settles.do(ctx, settlement{runID: runID, a: a, status: status, nextAt: nextAt})
}

func (s *Store) settleBatch(batch []*call[settlement]) {
	// A caller whose context ended before its turn is answered with that,
	// and nothing is written for it.
	live := batch[:0]
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.done <- err
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	if len(live) > 1 && s.settleTogether(context.Background(), live) == nil {
		for _, w := range live {
			w.done <- nil
		}
		return
	}
	for _, w := range live {
		w.done <- s.settleTogether(w.ctx, []*call[settlement]{w})
	}
}

// settleTogether writes the batch in one statement; it fails unless every
// run was found (a run appears once in a batch: its job settles it once).
// A batch of one is how a run is written on its own.
func (s *Store) settleTogether(ctx context.Context, batch []*call[settlement]) error {
	n := len(batch)
	ids, attemptStatus, errs, logs, statuses := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	httpStatus, durations, started, next := make([]int32, n), make([]float64, n), make([]int64, n), make([]*int64, n)
	seen := make(map[string]bool, n)
	for i, c := range batch {
		w := c.v
		if seen[w.runID] {
			return errors.New("a run settled twice in one batch")
		}
		seen[w.runID] = true
		ids[i], attemptStatus[i], errs[i], logs[i], statuses[i] = w.runID, w.a.Status, w.a.Error, w.a.LogID, w.status
		httpStatus[i], durations[i], started[i] = int32(w.a.HTTPStatus), w.a.DurationMS, w.a.StartedAt.UnixMilli()
		if !w.nextAt.IsZero() {
			ms := w.nextAt.UnixMilli()
			next[i] = &ms
		}
	}
	res, err := s.settleDB.ExecContext(ctx, pgSettleRuns, ids, attemptStatus, httpStatus, durations, errs, logs, started, statuses, next, now())
	if err != nil {
		return fmt.Errorf("record attempts: %w", mapErr(err))
	}
	got, err := res.RowsAffected()
	switch {
	case err != nil:
		return fmt.Errorf("record attempts: %w", err)
	case got == 0 && n == 1:
		return fmt.Errorf("record attempt: %w", ErrNotFound)
	case got != int64(n):
		return fmt.Errorf("record attempts: settled %d of %d runs", got, n)
	}
	return nil
}
