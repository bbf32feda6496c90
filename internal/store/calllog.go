package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// CallLog is one recorded outbound call, secrets redacted.
type CallLog struct {
	ID              string    `json:"id"`
	OrgID           string    `json:"org_id"`
	IntegrationID   string    `json:"integration_id"`
	Action          string    `json:"action,omitempty"`
	Environment     string    `json:"environment,omitempty"`
	Source          string    `json:"source"` // api, mcp, trigger, proxy, test, worker
	Actor           string    `json:"actor,omitempty"`
	UserID          string    `json:"user_id,omitempty"` // owner of the personal connection used; "" = shared
	Method          string    `json:"method"`
	URL             string    `json:"url"`
	Status          int       `json:"status"`
	DurationMS      float64   `json:"duration_ms"`
	Attempts        int       `json:"attempts"`
	Error           string    `json:"error,omitempty"`
	RequestHeaders  string    `json:"request_headers,omitempty"`
	RequestBody     string    `json:"request_body,omitempty"`
	ResponseHeaders string    `json:"response_headers,omitempty"`
	ResponseBody    string    `json:"response_body,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
}

const callLogCols = `id, org_id, integration_id, action, environment, source, actor, user_id, method, url, status, duration_ms, attempts, error, request_headers, request_body, response_headers, response_body, created_at`

// callLogRowsPerInsert is how many rows one INSERT carries: 19 columns a
// row stays under SQLite's oldest parameter limit (999). One statement per
// fifty rows instead of one per row is most of the cost of the call log.
const callLogRowsPerInsert = 50

// InsertCallLogs writes a batch of call logs in one transaction.
func (s *Store) InsertCallLogs(ctx context.Context, logs []CallLog) error {
	if len(logs) == 0 {
		return nil
	}
	return s.InTx(ctx, func(tx *Tx) error {
		if s.engine == Postgres {
			return tx.insertCallLogsPG(ctx, logs)
		}
		for len(logs) > 0 {
			n := min(len(logs), callLogRowsPerInsert)
			args := make([]any, 0, n*19)
			for _, l := range logs[:n] {
				args = append(args, l.ID, l.OrgID, l.IntegrationID, l.Action, l.Environment, l.Source, l.Actor, l.UserID, l.Method, l.URL,
					l.Status, l.DurationMS, l.Attempts, l.Error, l.RequestHeaders, l.RequestBody, l.ResponseHeaders, l.ResponseBody, l.CreatedAt.UnixMilli())
			}
			if _, err := tx.exec(ctx, insertCallLogsSQL(n), args...); err != nil {
				return fmt.Errorf("insert call logs: %w", err)
			}
			logs = logs[n:]
		}
		return nil
	})
}

var callLogInserts sync.Map // rows → SQL text

func insertCallLogsSQL(rows int) string {
	if v, ok := callLogInserts.Load(rows); ok {
		return v.(string)
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO call_logs (` + callLogCols + `) VALUES `)
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	callLogInserts.Store(rows, b.String())
	return b.String()
}

// CallLogFilter narrows a call log listing. Before is a cursor: the id of
// the last row of the previous page.
type CallLogFilter struct {
	IntegrationID string
	Action        string
	Environment   string
	Source        string
	Status        string // "ok" (2xx/3xx), "error" (4xx/5xx or failed), or a number
	Since, Until  time.Time
	Before        string
	Limit         int
	// Member, when set, keeps only what that member may see: entries made
	// through the organization's shared connections or through the
	// member's own, and none of the integrations in Hidden.
	Member string
	Hidden []string
}

// ListCallLogs lists an organization's call logs, newest first, without
// bodies.
func (s *Store) ListCallLogs(ctx context.Context, orgID string, f CallLogFilter) ([]CallLog, error) {
	query, args, err := listCallLogsQuery(orgID, f)
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, s.r, s.q(query), scanCallLog, args...)
}

// callLogIDSlack is how far an entry's id time may be from its created_at:
// a call lasts at most a minute or so (its attempts share one timeout of
// at most 30 s, and a refresh after a 401 sends it once more); the rest is
// room for the clock being set back.
const callLogIDSlack = time.Hour

// listCallLogsQuery is ListCallLogs' statement: a page of the index by
// organization and id, read newest first (migration 0020).
func listCallLogsQuery(orgID string, f CallLogFilter) (string, []any, error) {
	where := []string{"org_id = ?"}
	args := []any{orgID}
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.IntegrationID != "" {
		add("integration_id = ?", f.IntegrationID)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Environment != "" {
		add("environment = ?", f.Environment)
	}
	if f.Source != "" {
		add("source = ?", f.Source)
	}
	switch f.Status {
	case "":
	case "ok":
		where = append(where, "status BETWEEN 200 AND 399 AND error = ''")
	case "error":
		where = append(where, "(status >= 400 OR status = 0 OR error <> '')")
	default:
		var n int
		if _, err := fmt.Sscanf(f.Status, "%d", &n); err != nil {
			return "", nil, fmt.Errorf("status filter must be ok, error or a number, got %q", f.Status)
		}
		add("status = ?", n)
	}
	// An entry's id carries the time it was made, a call's length after
	// its created_at: bounds on the id, an hour wider than the window,
	// keep the read of the index to the window's part of it.
	if !f.Since.IsZero() {
		add("created_at >= ?", f.Since.UnixMilli())
		add("id >= ?", id.Before("log", f.Since.Add(-callLogIDSlack)))
	}
	if !f.Until.IsZero() {
		add("created_at < ?", f.Until.UnixMilli())
		add("id < ?", id.Before("log", f.Until.Add(callLogIDSlack)))
	}
	if f.Before != "" {
		add("id < ?", f.Before)
	}
	if f.Member != "" {
		add("(user_id = '' OR user_id = ?)", f.Member)
	}
	if len(f.Hidden) > 0 {
		where = append(where, "integration_id NOT IN ("+placeholders(len(f.Hidden))+")")
		for _, hidden := range f.Hidden {
			args = append(args, hidden)
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	query := `SELECT id, org_id, integration_id, action, environment, source, actor, user_id, method, url, status, duration_ms, attempts, error, '', '', '', '', created_at
		FROM call_logs WHERE ` + strings.Join(where, " AND ") + fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit)
	return query, args, nil
}

// GetCallLog loads one call log with its bodies.
func (s *Store) GetCallLog(ctx context.Context, orgID, logID string) (CallLog, error) {
	return scanCallLog(s.readRow(ctx, `SELECT `+callLogCols+` FROM call_logs WHERE org_id = ? AND id = ?`, orgID, logID))
}

func scanCallLog(row interface{ Scan(...any) error }) (CallLog, error) {
	var l CallLog
	var c int64
	if err := row.Scan(&l.ID, &l.OrgID, &l.IntegrationID, &l.Action, &l.Environment, &l.Source, &l.Actor, &l.UserID, &l.Method, &l.URL, &l.Status,
		&l.DurationMS, &l.Attempts, &l.Error, &l.RequestHeaders, &l.RequestBody, &l.ResponseHeaders, &l.ResponseBody, &c); err != nil {
		return CallLog{}, mapErr(err)
	}
	l.CreatedAt = ms(c)
	return l, nil
}
