package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// Trigger run statuses.
const (
	RunPending   = "pending"
	RunRetrying  = "retrying"
	RunSucceeded = "succeeded"
	RunDead      = "dead"
	// RunAwaitingApproval is a run whose action call waits for a person
	// to approve it; it goes on when approved and dies when denied or
	// expired.
	RunAwaitingApproval = "awaiting_approval"
)

// Event is one webhook delivery, stored as received.
type Event struct {
	ID              string
	OrgID           string
	WebhookID       string
	ProviderEventID string // "" when the sender gave none
	Headers         string // JSON object of header name → values
	Body            []byte
	SourceIP        string
	ReceivedAt      time.Time
	Runs            []TriggerRun
}

// TriggerRun is the execution of one trigger for one event.
type TriggerRun struct {
	ID         string
	OrgID      string
	WebhookID  string
	EventID    string
	TriggerID  string
	Status     string
	Attempts   int
	Replays    int
	NextAt     time.Time
	LastStatus int
	LastError  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	History    []Attempt
}

// Attempt is one try of a trigger run.
type Attempt struct {
	Number     int
	Status     string // succeeded or failed
	HTTPStatus int
	DurationMS float64
	Error      string
	LogID      string
	StartedAt  time.Time
}

// NewEventID and NewRunID return time-ordered ids.
func NewEventID() string { return id.New("evt") }

// NewRunID returns an id for a trigger run.
func NewRunID() string { return id.New("run") }

// EventIDAt returns an event id for an event received at t (an import, a
// test): an event's age is read from its id.
func EventIDAt(t time.Time) string { return id.At("evt", t) }

// eventIDBefore is the least event id made at t: ids made earlier sort
// below it.
func eventIDBefore(t time.Time) string { return id.Before("evt", t) }

// InsertEvent stores e unless the webhook already has an event with the same
// provider id (or is gone), in which case it reports false and stores
// nothing: InsertEvents with one event.
func (t *Tx) InsertEvent(ctx context.Context, e Event) (bool, error) {
	inserted, err := t.InsertEvents(ctx, []Event{e})
	return err == nil && inserted[0], err
}

// eventRowsPerInsert bounds the rows of one multi-row insert (8 values a
// row, far under either engine's limit on bound values).
const eventRowsPerInsert = 100

// InsertEvents stores a batch of events that start no runs, as
// Tx.InsertEvents does. On PostgreSQL that is one statement with no
// transaction around it (one round trip instead of three); on SQLite a
// transaction of its own.
func (s *Store) InsertEvents(ctx context.Context, events []Event) ([]bool, error) {
	if s.engine == Postgres && len(events) > 0 {
		return insertEventsPG(ctx, s.w, events)
	}
	return inTx(ctx, s, func(tx *Tx) ([]bool, error) { return tx.InsertEvents(ctx, events) })
}

// InsertEvents stores a batch of received events with one statement per
// hundred rows (on PostgreSQL one round trip each, not one per event) and
// reports which were new: a repeat of a provider event id already stored,
// or earlier in the batch, is left out, and so is an event whose webhook
// was deleted while it was on its way.
func (t *Tx) InsertEvents(ctx context.Context, events []Event) ([]bool, error) {
	if t.s.engine == Postgres && len(events) > 0 {
		return insertEventsPG(ctx, t.tx, events)
	}
	return t.insertEventsSQLite(ctx, events)
}

// InsertEventsWithRuns stores a batch of events as InsertEvents does,
// with the runs of their triggers: a run is written only when its event is,
// so a repeat of a stored delivery, or an event whose webhook was deleted
// on its way, starts none. It reports which events were new. On PostgreSQL
// the events and runs are one statement: a round trip fewer per batch,
// which counts most where batches are small, on nodes sharing the intake.
func (t *Tx) InsertEventsWithRuns(ctx context.Context, events []Event, runs []TriggerRun) ([]bool, error) {
	if t.s.engine == Postgres && len(events) > 0 {
		return insertEventsWithRunsPG(ctx, t.tx, events, runs)
	}
	inserted, err := t.InsertEvents(ctx, events)
	if err != nil {
		return nil, err
	}
	if err := t.InsertTriggerRuns(ctx, RunsOfStored(events, inserted, runs)); err != nil {
		return nil, err
	}
	return inserted, nil
}

// RunsOfStored gives the runs, of those offered with events, that
// InsertEventsWithRuns or InsertIntake wrote: those of the events it
// reported stored (inserted, in the order of events).
func RunsOfStored(events []Event, inserted []bool, runs []TriggerRun) []TriggerRun {
	stored := make(map[string]bool, len(events))
	for i, e := range events {
		stored[e.ID] = inserted[i]
	}
	var written []TriggerRun
	for _, r := range runs {
		if stored[r.EventID] {
			written = append(written, r)
		}
	}
	return written
}

// AsStored is e as reading its row back gives it: the time to the
// millisecond, no runs.
func (e Event) AsStored() Event {
	e.ReceivedAt, e.Runs = ms(e.ReceivedAt.UnixMilli()), nil
	return e
}

// AsInserted is r as InsertTriggerRuns writes it and reading its row back
// gives it: pending, no attempt yet, created and updated at CreatedAt to
// the millisecond.
func (r TriggerRun) AsInserted() TriggerRun {
	at := ms(r.CreatedAt.UnixMilli())
	return TriggerRun{ID: r.ID, OrgID: r.OrgID, WebhookID: r.WebhookID, EventID: r.EventID, TriggerID: r.TriggerID,
		Status: RunPending, CreatedAt: at, UpdatedAt: at}
}

// InsertTriggerRuns stores new pending runs, a hundred rows a statement.
func (t *Tx) InsertTriggerRuns(ctx context.Context, runs []TriggerRun) error {
	if t.s.engine == Postgres && len(runs) > 0 {
		return t.insertTriggerRunsPG(ctx, runs)
	}
	for start := 0; start < len(runs); start += eventRowsPerInsert {
		chunk := runs[start:min(start+eventRowsPerInsert, len(runs))]
		args := make([]any, 0, 8*len(chunk))
		for _, r := range chunk {
			ts := r.CreatedAt.UnixMilli()
			args = append(args, r.ID, r.OrgID, r.WebhookID, r.EventID, r.TriggerID, RunPending, ts, ts)
		}
		query := multiRow(`INSERT INTO trigger_runs (id, org_id, webhook_id, event_id, trigger_id, status, created_at, updated_at)`, len(chunk), 8)
		if _, err := t.tx.ExecContext(ctx, t.s.q(query), args...); err != nil {
			return fmt.Errorf("insert trigger runs: %w", mapErr(err))
		}
	}
	return nil
}

// multiRow is insert followed by VALUES with rows rows of cols
// placeholders each.
func multiRow(insert string, rows, cols int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	var b strings.Builder
	b.Grow(len(insert) + 8 + rows*(len(row)+1))
	b.WriteString(insert)
	b.WriteString(" VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	return b.String()
}

// InsertTriggerRun stores a new pending run.
func (t *Tx) InsertTriggerRun(ctx context.Context, r TriggerRun) error {
	ts := r.CreatedAt.UnixMilli()
	_, err := t.exec(ctx, `INSERT INTO trigger_runs (id, org_id, webhook_id, event_id, trigger_id, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.OrgID, r.WebhookID, r.EventID, r.TriggerID, RunPending, ts, ts)
	if err != nil {
		return fmt.Errorf("insert trigger run: %w", mapErr(err))
	}
	return nil
}

// EventIDByProviderID finds the stored event a duplicate delivery repeats.
func (s *Store) EventIDByProviderID(ctx context.Context, webhookID, providerID string) (string, error) {
	if s.engine == SQLite {
		return s.eventIDByKeySQLite(ctx, webhookID, providerID)
	}
	var out string
	err := s.w.QueryRowContext(ctx, s.q(`SELECT id FROM webhook_events WHERE webhook_id = ? AND provider_event_id = ?`), webhookID, providerID).Scan(&out)
	return out, mapErr(err)
}

const eventCols = `id, org_id, webhook_id, provider_event_id, headers, body, source_ip, received_at`

func scanEvent(row interface{ Scan(...any) error }) (Event, error) {
	var e Event
	var pid sql.NullString
	var at int64
	if err := row.Scan(&e.ID, &e.OrgID, &e.WebhookID, &pid, &e.Headers, &e.Body, &e.SourceIP, &at); err != nil {
		return Event{}, mapErr(err)
	}
	e.ProviderEventID, e.ReceivedAt = pid.String, ms(at)
	return e, nil
}

// GetEvent loads an organization's event with its runs and their attempts.
func (s *Store) GetEvent(ctx context.Context, orgID, eventID string) (Event, error) {
	e, err := scanEvent(s.readRow(ctx, `SELECT `+eventCols+` FROM webhook_events WHERE org_id = ? AND id = ?`, orgID, eventID))
	if err != nil {
		return e, err
	}
	runs, err := s.runs(ctx, `event_id = ? ORDER BY id`, eventID)
	if err != nil {
		return e, err
	}
	for i := range runs {
		if runs[i].History, err = s.attempts(ctx, runs[i].ID); err != nil {
			return e, err
		}
	}
	e.Runs = runs
	return e, nil
}

// EventUnmatched filters events that no trigger matched: they have no runs.
const EventUnmatched = "unmatched"

// EventFilter narrows an event listing. Status and TriggerID match events
// with at least one run in that status or of that trigger; Status
// EventUnmatched matches events without runs. Before is a
// cursor: the id of the last event of the previous page.
type EventFilter struct {
	Status       string
	TriggerID    string
	Since, Until time.Time
	Before       string
	After        string // for following new events: ids greater than this, oldest first
	Limit        int
}

// ListEvents lists a webhook's events, newest first (oldest first with
// After), without bodies, each with its runs.
func (s *Store) ListEvents(ctx context.Context, orgID, webhookID string, f EventFilter) ([]Event, error) {
	where := []string{"e.org_id = ?", "e.webhook_id = ?"}
	args := []any{orgID, webhookID}
	add := func(cond string, v ...any) { where = append(where, cond); args = append(args, v...) }
	switch {
	case f.Status == EventUnmatched:
		add("NOT EXISTS (SELECT 1 FROM trigger_runs r WHERE r.event_id = e.id)")
	case f.Status != "" && f.TriggerID != "":
		add("EXISTS (SELECT 1 FROM trigger_runs r WHERE r.event_id = e.id AND r.status = ? AND r.trigger_id = ?)", f.Status, f.TriggerID)
	case f.Status != "":
		add("EXISTS (SELECT 1 FROM trigger_runs r WHERE r.event_id = e.id AND r.status = ?)", f.Status)
	case f.TriggerID != "":
		add("EXISTS (SELECT 1 FROM trigger_runs r WHERE r.event_id = e.id AND r.trigger_id = ?)", f.TriggerID)
	}
	// An event's id carries the time it was received: bounds on the id,
	// an hour wider than the window, keep the read of the webhook's index
	// to the window's part of it.
	if !f.Since.IsZero() {
		add("e.received_at >= ?", f.Since.UnixMilli())
		add("e.id >= ?", eventIDBefore(f.Since.Add(-time.Hour)))
	}
	if !f.Until.IsZero() {
		add("e.received_at < ?", f.Until.UnixMilli())
		add("e.id < ?", eventIDBefore(f.Until.Add(time.Hour)))
	}
	order := "DESC"
	if f.Before != "" {
		add("e.id < ?", f.Before)
	}
	if f.After != "" {
		add("e.id > ?", f.After)
		order = "ASC"
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	query := `SELECT e.id, e.org_id, e.webhook_id, e.provider_event_id, e.headers, ` + emptyBlob(s.engine) + `, e.source_ip, e.received_at
		FROM webhook_events e WHERE ` + strings.Join(where, " AND ") + fmt.Sprintf(` ORDER BY e.id %s LIMIT %d`, order, limit)
	out, err := queryAll(ctx, s.r, s.q(query), scanEvent, args...)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	// The page's runs in one read, not one per event.
	ids := make([]any, len(out))
	at := make(map[string]int, len(out))
	for i := range out {
		ids[i], at[out[i].ID], out[i].Runs = out[i].ID, i, []TriggerRun{}
	}
	runs, err := s.runs(ctx, `event_id IN (`+placeholders(len(ids))+`) ORDER BY event_id, id`, ids...)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		i := at[r.EventID]
		out[i].Runs = append(out[i].Runs, r)
	}
	return out, nil
}

func emptyBlob(engine string) string {
	if engine == Postgres {
		return `''::bytea`
	}
	return `X''`
}

const runCols = `id, org_id, webhook_id, event_id, trigger_id, status, attempts, replays, next_at, last_status, last_error, created_at, updated_at`

func scanRun(row interface{ Scan(...any) error }) (TriggerRun, error) {
	var r TriggerRun
	var next sql.NullInt64
	var c, u int64
	if err := row.Scan(&r.ID, &r.OrgID, &r.WebhookID, &r.EventID, &r.TriggerID, &r.Status, &r.Attempts, &r.Replays, &next, &r.LastStatus, &r.LastError, &c, &u); err != nil {
		return TriggerRun{}, mapErr(err)
	}
	r.NextAt, r.CreatedAt, r.UpdatedAt = nullMS(next), ms(c), ms(u)
	return r, nil
}

// runs lists the runs matching cond (with its ORDER BY and LIMIT).
func (s *Store) runs(ctx context.Context, cond string, args ...any) ([]TriggerRun, error) {
	return queryAll(ctx, s.r, s.q(`SELECT `+runCols+` FROM trigger_runs WHERE `+cond), scanRun, args...)
}

func (s *Store) attempts(ctx context.Context, runID string) ([]Attempt, error) {
	return queryAll(ctx, s.r, s.q(`SELECT number, status, http_status, duration_ms, error, log_id, started_at FROM trigger_attempts WHERE run_id = ? ORDER BY number`), func(row rowScanner) (Attempt, error) {
		var a Attempt
		var at int64
		err := row.Scan(&a.Number, &a.Status, &a.HTTPStatus, &a.DurationMS, &a.Error, &a.LogID, &at)
		a.StartedAt = ms(at)
		return a, err
	}, runID)
}
