package store

import (
	"context"
	"database/sql"
	"fmt"
)

// On PostgreSQL a multi-row statement is one text for any number of rows:
// the rows travel as one array per column and unnest turns them back into
// rows. pgx prepares each text once per connection, so statements whose
// text grew with their row count (VALUES (…), (…), … or IN (…)) were
// prepared again for every new count on every connection, and the database
// spent more on parsing and planning them than on the writes themselves.
// SQLite compiles what it runs either way and keeps the multi-row texts.

// pgLockHooks locks the rows of the batch's webhooks once (migration 0019
// dropped the foreign key that locked one per event), and pgEventsInsert
// stores the events of those still there: an event whose webhook was
// deleted is not stored, and a deletion waits for the batch.
const (
	pgLockHooks    = `WITH hooks AS (SELECT id FROM webhooks WHERE id = ANY($3::text[]) FOR KEY SHARE)`
	pgEventsInsert = `INSERT INTO webhook_events (id, org_id, webhook_id, provider_event_id, headers, body, source_ip, received_at)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[], $8::bigint[])
		AS e (id, org_id, webhook_id, provider_event_id, headers, body, source_ip, received_at)
	WHERE e.webhook_id IN (SELECT id FROM hooks)
	ON CONFLICT (webhook_id, provider_event_id) DO NOTHING RETURNING id`
)

const pgInsertEvents = pgLockHooks + `
	` + pgEventsInsert

// insertEventsPG inserts events with one statement on q (a transaction or
// the pool) and reports which were new.
func insertEventsPG(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, events []Event) ([]bool, error) {
	rows, err := q.QueryContext(ctx, pgInsertEvents, eventArgs(events)...)
	return storedEvents(events, rows, err)
}

// eventArgs are pgInsertEvents' arguments $1 to $8 for events.
func eventArgs(events []Event) []any {
	n := len(events)
	ids, orgs, hooks, headers, ips := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	provider, bodies, at := make([]*string, n), make([][]byte, n), make([]int64, n)
	for i, e := range events {
		ids[i], orgs[i], hooks[i], headers[i], ips[i] = e.ID, e.OrgID, e.WebhookID, e.Headers, e.SourceIP
		if e.ProviderEventID != "" {
			provider[i] = &e.ProviderEventID
		}
		bodies[i], at[i] = e.Body, e.ReceivedAt.UnixMilli()
	}
	return []any{ids, orgs, hooks, provider, headers, bodies, ips, at}
}

// storedEvents reads the ids an insert of events returned (rows, or the
// insert's error) and reports, event by event, which were stored. Each
// row's columns after the id are scanned into more.
func storedEvents(events []Event, rows *sql.Rows, err error, more ...any) ([]bool, error) {
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", mapErr(err))
	}
	defer rows.Close()
	stored := make(map[string]bool, len(events))
	var id string
	dest := append([]any{&id}, more...)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("insert events: %w", err)
		}
		stored[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert events: %w", mapErr(err))
	}
	inserted := make([]bool, len(events))
	for i, e := range events {
		inserted[i] = stored[e.ID]
	}
	return inserted, nil
}

// pgEventsAndRuns is pgInsertEvents followed, in the same statement, by
// the runs of the events it stored; the statements below end it.
const pgEventsAndRuns = pgLockHooks + `,
	stored AS (` + pgEventsInsert + `),
	runs AS (
		INSERT INTO trigger_runs (id, org_id, webhook_id, event_id, trigger_id, status, created_at, updated_at)
		SELECT r.id, r.org_id, r.webhook_id, r.event_id, r.trigger_id, $14, r.at, r.at
		FROM unnest($9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $15::bigint[]) AS r (id, org_id, webhook_id, event_id, trigger_id, at)
		WHERE r.event_id IN (SELECT id FROM stored) RETURNING 1)`

const pgInsertEventsWithRuns = pgEventsAndRuns + `
	SELECT id FROM stored`

// pgInsertIntake adds the runs' job, written only if a run was, and the
// queue's notification of it. A WITH query that changes nothing runs only
// when the statement reads it, hence the condition on its count (true
// whenever there is an id to return, and so a run). A job started here
// ($23) is written as River's fetch would leave it: running its first
// attempt, by the client $24.
const pgInsertIntake = pgEventsAndRuns + `,
	job AS (
		INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at, created_at, metadata, tags, attempt, attempted_at, attempted_by)
		SELECT $16::jsonb, $17, $18, $19, $20, CASE WHEN $23::boolean THEN 'running' ELSE 'available' END::river_job_state, now(), now(), '{}', '{}',
			CASE WHEN $23 THEN 1 ELSE 0 END, CASE WHEN $23 THEN now() END, $24::text[]
		WHERE EXISTS (SELECT FROM runs) RETURNING id),
	notified AS (SELECT pg_notify(current_schema() || '.' || $21, $22) WHERE $22 <> '' AND EXISTS (SELECT FROM runs))
	SELECT id, (SELECT id FROM job) FROM stored WHERE (SELECT count(*) FROM notified) >= 0`

// eventsAndRunsArgs are pgEventsAndRuns' arguments $1 to $15.
func eventsAndRunsArgs(events []Event, runs []TriggerRun) []any {
	return append(eventArgs(events), runArgs(runs)...)
}

// runArgs are pgInsertTriggerRuns' arguments, in order, for new pending
// runs.
func runArgs(runs []TriggerRun) []any {
	n := len(runs)
	ids, orgs, hooks, events, triggers, at := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
	for i, r := range runs {
		ids[i], orgs[i], hooks[i], events[i], triggers[i], at[i] = r.ID, r.OrgID, r.WebhookID, r.EventID, r.TriggerID, r.CreatedAt.UnixMilli()
	}
	return []any{ids, orgs, hooks, events, triggers, RunPending, at}
}

func insertEventsWithRunsPG(ctx context.Context, tx *sql.Tx, events []Event, runs []TriggerRun) ([]bool, error) {
	if len(runs) == 0 {
		return insertEventsPG(ctx, tx, events)
	}
	rows, err := tx.QueryContext(ctx, pgInsertEventsWithRuns, eventsAndRunsArgs(events, runs)...)
	return storedEvents(events, rows, err)
}

const pgInsertTriggerRuns = `INSERT INTO trigger_runs (id, org_id, webhook_id, event_id, trigger_id, status, created_at, updated_at)
	SELECT id, org_id, webhook_id, event_id, trigger_id, $6, at, at
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $7::bigint[]) AS r (id, org_id, webhook_id, event_id, trigger_id, at)`

func (t *Tx) insertTriggerRunsPG(ctx context.Context, runs []TriggerRun) error {
	if _, err := t.tx.ExecContext(ctx, pgInsertTriggerRuns, runArgs(runs)...); err != nil {
		return fmt.Errorf("insert trigger runs: %w", mapErr(err))
	}
	return nil
}

const pgInsertCallLogs = `INSERT INTO call_logs (` + callLogCols + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
		$11::integer[], $12::double precision[], $13::integer[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[])`

func (t *Tx) insertCallLogsPG(ctx context.Context, logs []CallLog) error {
	n := len(logs)
	text := func() []string { return make([]string, n) }
	ids, orgs, integrations, actions, envs, sources, actors, users, methods, urls := text(), text(), text(), text(), text(), text(), text(), text(), text(), text()
	errs, reqHeaders, reqBodies, respHeaders, respBodies := text(), text(), text(), text(), text()
	statuses, attempts, durations, at := make([]int32, n), make([]int32, n), make([]float64, n), make([]int64, n)
	for i, l := range logs {
		ids[i], orgs[i], integrations[i], actions[i], envs[i], sources[i], actors[i], users[i], methods[i], urls[i] =
			l.ID, l.OrgID, l.IntegrationID, l.Action, l.Environment, l.Source, l.Actor, l.UserID, l.Method, l.URL
		statuses[i], durations[i], attempts[i], errs[i] = int32(l.Status), l.DurationMS, int32(l.Attempts), l.Error
		reqHeaders[i], reqBodies[i], respHeaders[i], respBodies[i], at[i] = l.RequestHeaders, l.RequestBody, l.ResponseHeaders, l.ResponseBody, l.CreatedAt.UnixMilli()
	}
	if _, err := t.tx.ExecContext(ctx, pgInsertCallLogs, ids, orgs, integrations, actions, envs, sources, actors, users, methods, urls,
		statuses, durations, attempts, errs, reqHeaders, reqBodies, respHeaders, respBodies, at); err != nil {
		return fmt.Errorf("insert call logs: %w", mapErr(err))
	}
	return nil
}
