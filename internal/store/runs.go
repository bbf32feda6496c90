package store

import (
	"context"
	"fmt"
	"time"
)

// RunForWork loads a trigger run and its event by run id alone, for the job
// queue's workers.
func (s *Store) RunForWork(ctx context.Context, runID string) (TriggerRun, Event, error) {
	r, err := scanRun(s.readRow(ctx, `SELECT `+runCols+` FROM trigger_runs WHERE id = ?`, runID))
	if err != nil {
		return r, Event{}, err
	}
	e, err := scanEvent(s.readRow(ctx, `SELECT `+eventCols+` FROM webhook_events WHERE id = ?`, r.EventID))
	return r, e, err
}

// RunsForWork reads runs by id with their events, for a batch worked
// together: two reads in all instead of two per run. A run that is gone,
// or whose event is, is absent from the answer.
func (s *Store) RunsForWork(ctx context.Context, runIDs []string) (map[string]TriggerRun, map[string]Event, error) {
	runs := make(map[string]TriggerRun, len(runIDs))
	events := make(map[string]Event, len(runIDs))
	// One text for any number of ids on PostgreSQL (see pgarrays.go).
	byIDs := func(cols, table string, ids []string) (string, []any) {
		if s.engine == Postgres {
			return `SELECT ` + cols + ` FROM ` + table + ` WHERE id = ANY($1::text[])`, []any{ids}
		}
		return `SELECT ` + cols + ` FROM ` + table + ` WHERE id IN (` + placeholders(len(ids)) + `)`, anys(ids)
	}
	for start := 0; start < len(runIDs); start += idsPerRead {
		chunk := runIDs[start:min(start+idsPerRead, len(runIDs))]
		query, args := byIDs(runCols, "trigger_runs", chunk)
		read, err := queryAll(ctx, s.r, query, scanRun, args...)
		if err != nil {
			return nil, nil, fmt.Errorf("read runs: %w", mapErr(err))
		}
		var eventIDs []string
		for _, r := range read {
			runs[r.ID] = r
			eventIDs = append(eventIDs, r.EventID)
		}
		if len(eventIDs) == 0 {
			continue
		}
		query, args = byIDs(eventCols, "webhook_events", eventIDs)
		found, err := queryAll(ctx, s.r, query, scanEvent, args...)
		if err != nil {
			return nil, nil, fmt.Errorf("read events: %w", mapErr(err))
		}
		for _, e := range found {
			events[e.ID] = e
		}
	}
	for id, r := range runs {
		if _, ok := events[r.EventID]; !ok {
			delete(runs, id)
		}
	}
	return runs, events, nil
}

// idsPerRead bounds the ids one read names.
const idsPerRead = 200

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// SettleRun records attempt a of run runID and the run's new status, as
// Tx.RecordAttempt does, durably when it returns. On SQLite the write
// shares a commit with other runs' (InGroupTx); on PostgreSQL it shares a
// statement with the settlements that arrive meanwhile (settle_pg.go),
// which commits by itself.
func (s *Store) SettleRun(ctx context.Context, runID string, a Attempt, status string, nextAt time.Time) error {
	if s.engine != Postgres {
		return s.InGroupTx(ctx, func(tx *Tx) error { return tx.RecordAttempt(ctx, runID, a, status, nextAt) })
	}
	return s.settlePG(ctx, runID, a, status, nextAt)
}

// RecordAttempt appends attempt a to run runID and sets the run's status,
// attempt count and next retry time, in tx.
func (t *Tx) RecordAttempt(ctx context.Context, runID string, a Attempt, status string, nextAt time.Time) error {
	if _, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO trigger_attempts (run_id, number, status, http_status, duration_ms, error, log_id, started_at)
		VALUES (?, (SELECT COUNT(*) + 1 FROM trigger_attempts WHERE run_id = ?), ?, ?, ?, ?, ?, ?)`),
		runID, runID, a.Status, a.HTTPStatus, a.DurationMS, a.Error, a.LogID, a.StartedAt.UnixMilli()); err != nil {
		return fmt.Errorf("record attempt: %w", mapErr(err))
	}
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE trigger_runs SET status = ?, attempts = attempts + 1, next_at = ?, last_status = ?, last_error = ?, updated_at = ? WHERE id = ?`),
		status, toNullMS(nextAt), a.HTTPStatus, a.Error, now(), runID)
	return affected(res, err)
}

// AwaitApproval marks a run as waiting for an approval, to be looked at
// again at nextAt; no attempt is counted.
func (t *Tx) AwaitApproval(ctx context.Context, runID, approvalID string, nextAt time.Time) error {
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE trigger_runs SET status = ?, next_at = ?, last_error = ?, updated_at = ? WHERE id = ?`),
		RunAwaitingApproval, toNullMS(nextAt), "waiting for approval "+approvalID, now(), runID)
	return affected(res, err)
}

// ReplayRuns puts the given runs of an organization back to pending with a
// fresh attempt budget, in tx, and returns the ids it changed. Runs that
// are pending or retrying are left alone: they will run anyway.
func (t *Tx) ReplayRuns(ctx context.Context, orgID string, runIDs []string) ([]string, error) {
	var out []string
	for _, id := range runIDs {
		res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE trigger_runs SET status = ?, attempts = 0, replays = replays + 1, next_at = NULL, updated_at = ?
			WHERE org_id = ? AND id = ? AND status IN (?, ?)`), RunPending, now(), orgID, id, RunDead, RunSucceeded)
		if err != nil {
			return nil, fmt.Errorf("replay run %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out = append(out, id)
		}
	}
	return out, nil
}

// Runs lists up to limit of a webhook's runs in status (any when empty),
// oldest first.
func (s *Store) Runs(ctx context.Context, orgID, webhookID, status string, limit int) ([]TriggerRun, error) {
	cond, args := `org_id = ? AND webhook_id = ?`, []any{orgID, webhookID}
	if status != "" {
		cond, args = cond+` AND status = ?`, append(args, status)
	}
	return s.runs(ctx, cond+fmt.Sprintf(` ORDER BY id LIMIT %d`, limit), args...)
}

// CountRuns counts a webhook's runs by status, for tests and dashboards.
func (s *Store) CountRuns(ctx context.Context, orgID, webhookID string) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT status, COUNT(*) FROM trigger_runs WHERE org_id = ? AND webhook_id = ? GROUP BY status`), orgID, webhookID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}
