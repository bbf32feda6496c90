package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// Keep says how long a pruning rule keeps a row.
type Keep int

// What rows are kept for.
const (
	KeepEvents        Keep = iota + 1 // the organization's events_days
	KeepCallLogs                      // the organization's call_logs_days
	KeepCallLogBodies                 // the organization's call_log_bodies_days
	KeepIdempotency                   // the replay window of idempotency keys
	KeepUntilExpiry                   // until the row's own expiry time
)

// PruneRule is one kind of row the retention job removes (or, with Set,
// empties) once it is older than what its Keep allows. The SQL fragments are
// constants of this package, never input.
type PruneRule struct {
	Name  string // for logs: "events", "call log bodies"
	Table string
	Key   string // the column(s) that identify a row
	Time  string // the column compared with the cut-off
	Keep  Keep
	// PerOrg rules take their cut-off from each organization's retention;
	// the others have one cut-off for all.
	PerOrg bool
	Where  string // a further condition a prunable row meets
	Set    string // empties columns instead of deleting the row
	// IDPrefix, when set, says the rows' ids carry their time (id.New):
	// a row is older than the cut-off when its id sorts below the least
	// id made then, which the id's index finds without an index on Time.
	IDPrefix string
	// OrgVia, for a per-organization rule, is the condition that picks
	// the organization's rows instead of "org_id = ?", with one
	// placeholder for the organization's id.
	OrgVia string
	// Dependents, on PostgreSQL, are the rows that go with a removed row
	// where no foreign key removes them: "table.column" naming the row's
	// Key. On SQLite the foreign key does.
	Dependents string
}

// PruneRules is what the retention job prunes, in order. Bodies of the call
// log go before its rows; an event goes with its trigger runs and their
// attempts (ON DELETE CASCADE), never while a run still waits for an
// attempt. Another table with an age or an expiry is one entry more.
var PruneRules = []PruneRule{
	{Name: "call log bodies", Table: "call_logs", Key: "id", Time: "created_at", Keep: KeepCallLogBodies, PerOrg: true, IDPrefix: "log",
		Where: "(request_body <> '' OR response_body <> '' OR request_headers <> '' OR response_headers <> '')",
		Set:   "request_body = '', response_body = '', request_headers = '', response_headers = ''"},
	{Name: "call logs", Table: "call_logs", Key: "id", Time: "created_at", Keep: KeepCallLogs, PerOrg: true, IDPrefix: "log"},
	{Name: "events", Table: "webhook_events", Key: "id", Time: "received_at", Keep: KeepEvents, PerOrg: true,
		IDPrefix: "evt", OrgVia: "webhook_id IN (SELECT id FROM webhooks WHERE org_id = ?)",
		Where:      "NOT EXISTS (SELECT 1 FROM trigger_runs r WHERE r.event_id = webhook_events.id AND r.status IN ('pending', 'retrying'))",
		Dependents: "trigger_runs.event_id"},
	{Name: "idempotency records", Table: "idempotency_keys", Key: "org_id, scope, idem_key", Time: "created_at", Keep: KeepIdempotency},
	{Name: "sessions", Table: "sessions", Key: "id", Time: "expires_at", Keep: KeepUntilExpiry},
	{Name: "oauth states", Table: "oauth_states", Key: "id", Time: "expires_at", Keep: KeepUntilExpiry},
	{Name: "stored results", Table: "stored_results", Key: "id", Time: "expires_at", Keep: KeepUntilExpiry},
}

// Prune removes (or empties) at most limit rows that rule allows to go,
// those older than before (of orgID when the rule is per organization), in
// a transaction of its own, and reports how many. Small batches keep the
// single SQLite writer free for intake between them.
func (s *Store) Prune(ctx context.Context, rule PruneRule, orgID string, before time.Time, limit int) (int64, error) {
	cond := rule.Time + " < ?"
	args := []any{before.UnixMilli()}
	if rule.IDPrefix != "" {
		cond, args = rule.Key+" < ?", []any{id.Before(rule.IDPrefix, before)}
	}
	if rule.PerOrg {
		org := cmp.Or(rule.OrgVia, "org_id = ?")
		cond = org + " AND " + cond
		args = append([]any{orgID}, args...)
	}
	if rule.Where != "" {
		cond += " AND " + rule.Where
	}
	pick := fmt.Sprintf("SELECT %s FROM %s WHERE %s LIMIT %d", rule.Key, rule.Table, cond, limit)
	query := fmt.Sprintf("DELETE FROM %s WHERE (%s) IN (%s)", rule.Table, rule.Key, pick)
	if rule.Set != "" {
		query = fmt.Sprintf("UPDATE %s SET %s WHERE (%s) IN (%s)", rule.Table, rule.Set, rule.Key, pick)
	}
	if rule.Dependents != "" && s.engine == Postgres {
		table, column, _ := strings.Cut(rule.Dependents, ".")
		query = fmt.Sprintf("WITH gone AS (%s RETURNING %s), dependents AS (DELETE FROM %s WHERE %s IN (SELECT %s FROM gone)) SELECT COUNT(*) FROM gone",
			query, rule.Key, table, column, rule.Key)
		var n int64
		if err := s.w.QueryRowContext(ctx, s.q(query), args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("prune %s: %w", rule.Name, mapErr(err))
		}
		return n, nil
	}
	res, err := s.w.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", rule.Name, mapErr(err))
	}
	return res.RowsAffected()
}

// RetentionOverride is what the platform operator set for an organization;
// a zero field keeps the plan's default.
type RetentionOverride struct {
	OrgID             string
	EventsDays        int
	CallLogsDays      int
	CallLogBodiesDays int
	UpdatedBy         string
	UpdatedAt         time.Time
}

// OrgRetention is an organization's plan and its override, if any.
type OrgRetention struct {
	OrgID    string
	Plan     string
	Override RetentionOverride
}

const orgRetentionSelect = `SELECT o.id, o.plan, r.events_days, r.call_logs_days, r.call_log_bodies_days, COALESCE(r.updated_by, ''), r.updated_at
	FROM orgs o LEFT JOIN retention_overrides r ON r.org_id = o.id`

func scanOrgRetention(row rowScanner) (OrgRetention, error) {
	var o OrgRetention
	var events, logs, bodies, at sql.NullInt64
	if err := row.Scan(&o.OrgID, &o.Plan, &events, &logs, &bodies, &o.Override.UpdatedBy, &at); err != nil {
		return o, mapErr(err)
	}
	o.Override = RetentionOverride{OrgID: o.OrgID, EventsDays: int(events.Int64), CallLogsDays: int(logs.Int64),
		CallLogBodiesDays: int(bodies.Int64), UpdatedBy: o.Override.UpdatedBy, UpdatedAt: nullMS(at)}
	return o, nil
}

// OrgRetention returns one organization's plan and override.
func (s *Store) OrgRetention(ctx context.Context, orgID string) (OrgRetention, error) {
	return scanOrgRetention(s.r.QueryRowContext(ctx, s.q(orgRetentionSelect+` WHERE o.id = ?`), orgID))
}

// ListOrgRetention returns every organization's plan and override, for the
// retention job.
func (s *Store) ListOrgRetention(ctx context.Context) ([]OrgRetention, error) {
	return queryAll(ctx, s.r, s.q(orgRetentionSelect+` ORDER BY o.id`), scanOrgRetention)
}

// SetRetentionOverride stores (or, when every day count is zero, removes)
// an organization's override.
func (t *Tx) SetRetentionOverride(ctx context.Context, o RetentionOverride) error {
	if o.EventsDays == 0 && o.CallLogsDays == 0 && o.CallLogBodiesDays == 0 {
		_, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM retention_overrides WHERE org_id = ?`), o.OrgID)
		return mapErr(err)
	}
	nullDays := func(n int) sql.NullInt64 { return sql.NullInt64{Int64: int64(n), Valid: n > 0} }
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO retention_overrides (org_id, events_days, call_logs_days, call_log_bodies_days, updated_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET events_days = excluded.events_days, call_logs_days = excluded.call_logs_days,
		call_log_bodies_days = excluded.call_log_bodies_days, updated_by = excluded.updated_by, updated_at = excluded.updated_at`),
		o.OrgID, nullDays(o.EventsDays), nullDays(o.CallLogsDays), nullDays(o.CallLogBodiesDays), o.UpdatedBy, now())
	return mapErr(err)
}
