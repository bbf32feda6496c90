package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Invocation statuses.
const (
	InvPending   = "pending"   // waiting for a worker
	InvLeased    = "leased"    // a worker holds it until lease_expires_at
	InvSucceeded = "succeeded" // output set
	InvFailed    = "failed"    // error set
	InvCancelled = "cancelled" // the caller went away
	InvExpired   = "expired"   // the deadline passed without a result
)

// Invocation is one call of a code integration's action, queued for the
// integration's workers. It is leased to one worker at a time; when the
// lease expires without a result another worker may claim it, so actions
// run at least once and see the same IdempotencyKey on every attempt.
type Invocation struct {
	ID             string
	OrgID          string
	IntegrationID  string
	Version        int
	Action         string
	Environment    string
	UserID         string
	Source, Actor  string
	Input          json.RawMessage
	IdempotencyKey string
	Trace          string // JSON object of W3C trace context fields
	Status         string
	WorkerID       string
	Attempts       int
	LeaseExpiresAt time.Time
	DeadlineAt     time.Time
	Output         json.RawMessage
	Error          string
	ErrorStatus    int
	CreatedAt      time.Time
	UpdatedAt      time.Time
	CompletedAt    time.Time
}

// Done reports whether the invocation has a final status.
func (i Invocation) Done() bool {
	return i.Status != InvPending && i.Status != InvLeased
}

const invocationCols = `id, org_id, integration_id, version, action, environment, user_id, source, actor, input, idempotency_key, trace, status, worker_id, attempts, lease_expires_at, deadline_at, output, error, error_status, created_at, updated_at, completed_at`

func scanInvocation(row interface{ Scan(...any) error }) (Invocation, error) {
	var i Invocation
	var input, output string
	var lease, completed sql.NullInt64
	var deadline, c, u int64
	if err := row.Scan(&i.ID, &i.OrgID, &i.IntegrationID, &i.Version, &i.Action, &i.Environment, &i.UserID, &i.Source, &i.Actor,
		&input, &i.IdempotencyKey, &i.Trace, &i.Status, &i.WorkerID, &i.Attempts, &lease, &deadline, &output, &i.Error, &i.ErrorStatus,
		&c, &u, &completed); err != nil {
		return Invocation{}, mapErr(err)
	}
	i.Input = json.RawMessage(input)
	if output != "" {
		i.Output = json.RawMessage(output)
	}
	i.LeaseExpiresAt, i.DeadlineAt, i.CompletedAt = nullMS(lease), ms(deadline), nullMS(completed)
	i.CreatedAt, i.UpdatedAt = ms(c), ms(u)
	return i, nil
}

// CreateInvocation queues a pending invocation; ID must be set.
func (s *Store) CreateInvocation(ctx context.Context, i Invocation) error {
	t := now()
	st, err := s.writeStmt(ctx, `INSERT INTO worker_invocations (`+invocationCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0, NULL, ?, '', '', 0, ?, ?, NULL)`)
	if err == nil {
		_, err = st.ExecContext(ctx, i.ID, i.OrgID, i.IntegrationID, i.Version, i.Action, i.Environment, i.UserID, i.Source, i.Actor, string(i.Input), i.IdempotencyKey, i.Trace,
			InvPending, i.DeadlineAt.UnixMilli(), t, t)
	}
	if err != nil {
		return fmt.Errorf("queue invocation: %w", mapErr(err))
	}
	return nil
}

// GetInvocation loads an organization's invocation.
func (s *Store) GetInvocation(ctx context.Context, orgID, invocationID string) (Invocation, error) {
	return scanInvocation(s.readRow(ctx, `SELECT `+invocationCols+` FROM worker_invocations WHERE org_id = ? AND id = ?`, orgID, invocationID))
}

// Claim is what a worker may take in one poll.
type Claim struct {
	OrgID, IntegrationID, WorkerID string
	Actions                        []string
	Max                            int
	Lease                          time.Duration
	MaxAttempts                    int
}

// ClaimInvocations leases up to c.Max invocations to the worker: pending
// ones, and leased ones whose lease expired (their worker died), oldest
// first, skipping those past their deadline or out of attempts. On
// PostgreSQL, rows another node is claiming are skipped, not waited for.
func (s *Store) ClaimInvocations(ctx context.Context, c Claim) ([]Invocation, error) {
	if len(c.Actions) == 0 || c.Max < 1 {
		return nil, nil
	}
	t := now()
	args := []any{InvLeased, c.WorkerID, t + c.Lease.Milliseconds(), t, c.IntegrationID, c.OrgID}
	for _, a := range c.Actions {
		args = append(args, a)
	}
	args = append(args, t, c.MaxAttempts, InvPending, t, c.Max)
	// The literal status list matches the partial index of open
	// invocations (0005_workers.sql), so finished ones are never read.
	q := `UPDATE worker_invocations SET status = ?, worker_id = ?, attempts = attempts + 1, lease_expires_at = ?, updated_at = ?
WHERE id IN (SELECT id FROM worker_invocations
  WHERE integration_id = ? AND status IN ('pending', 'leased') AND org_id = ? AND action IN (` + placeholders(len(c.Actions)) + `)
    AND deadline_at > ? AND attempts < ? AND (status = ? OR lease_expires_at < ?)
  ORDER BY created_at LIMIT ?` + s.skipLocked() + `)
RETURNING ` + invocationCols
	st, err := s.writeStmt(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("claim invocations: %w", mapErr(err))
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("claim invocations: %w", mapErr(err))
	}
	defer rows.Close()
	var out []Invocation
	for rows.Next() {
		i, err := scanInvocation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// skipLocked lets concurrent claimers on PostgreSQL pass over each
// other's rows; SQLite has one writer, so nothing is ever locked there.
func (s *Store) skipLocked() string {
	if s.engine == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// Completion is the final state of an invocation.
type Completion struct {
	Status      string // InvSucceeded, InvFailed, InvCancelled or InvExpired
	Output      json.RawMessage
	Error       string
	ErrorStatus int
}

// CompleteInvocation records the final state unless the invocation already
// has one; it reports whether this call decided it. The first result wins:
// a slow worker finishing after its lease was taken over still counts.
func (s *Store) CompleteInvocation(ctx context.Context, orgID, invocationID string, c Completion) (bool, error) {
	t := now()
	st, err := s.writeStmt(ctx, `UPDATE worker_invocations SET status = ?, output = ?, error = ?, error_status = ?, completed_at = ?, updated_at = ?, lease_expires_at = NULL
WHERE org_id = ? AND id = ? AND status IN (?, ?)`)
	if err != nil {
		return false, fmt.Errorf("complete invocation %s: %w", invocationID, mapErr(err))
	}
	res, err := st.ExecContext(ctx, c.Status, string(c.Output), c.Error, c.ErrorStatus, t, t, orgID, invocationID, InvPending, InvLeased)
	if err != nil {
		return false, fmt.Errorf("complete invocation %s: %w", invocationID, mapErr(err))
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RenewLeases extends the leases the worker still holds among running and
// returns the ids it no longer holds (finished, cancelled, expired or
// taken over), which the worker should stop.
func (s *Store) RenewLeases(ctx context.Context, orgID, workerID string, running []string, lease time.Duration) ([]string, error) {
	if len(running) == 0 {
		return nil, nil
	}
	t := now()
	args := []any{t + lease.Milliseconds(), t, orgID, workerID, InvLeased, t}
	for _, r := range running {
		args = append(args, r)
	}
	rows, err := s.w.QueryContext(ctx, s.q(`UPDATE worker_invocations SET lease_expires_at = ?, updated_at = ?
WHERE org_id = ? AND worker_id = ? AND status = ? AND deadline_at > ? AND id IN (`+placeholders(len(running))+`) RETURNING id`), args...)
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", mapErr(err))
	}
	defer rows.Close()
	held := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		held[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var lost []string
	for _, r := range running {
		if !held[r] {
			lost = append(lost, r)
		}
	}
	return lost, nil
}

// PurgeInvocations deletes invocations created before the given time.
func (s *Store) PurgeInvocations(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM worker_invocations WHERE created_at < ?`), before.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ReleaseInvocations hands invocations just claimed by the worker back to
// the queue, undoing the claim's attempt: the worker never received them.
func (s *Store) ReleaseInvocations(ctx context.Context, orgID, workerID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{InvPending, now(), orgID, workerID, InvLeased}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.w.ExecContext(ctx, s.q(`UPDATE worker_invocations SET status = ?, worker_id = '', lease_expires_at = NULL, attempts = attempts - 1, updated_at = ?
WHERE org_id = ? AND worker_id = ? AND status = ? AND id IN (`+placeholders(len(ids))+`)`), args...)
	return mapErr(err)
}

// writeStmt is a prepared statement on the write pool, kept with the
// store's cached read statements (Close closes both). Preparing an UPDATE
// … RETURNING costs SQLite more than running it, and claims run on every
// poll.
func (s *Store) writeStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	key := "write\x00" + query
	if st, ok := s.stmts.Load(key); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.w.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(key, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}
