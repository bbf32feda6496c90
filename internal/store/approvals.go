package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// The statuses of an approval.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalDenied   = "denied"
	ApprovalExpired  = "expired"
)

// Approval is a call parked until a person approves or denies it.
type Approval struct {
	ID              string          `json:"id"`
	OrgID           string          `json:"-"`
	Scope           string          `json:"-"` // the caller whose idempotency key it is
	Key             string          `json:"-"`
	IntegrationID   string          `json:"integration_id"`
	IntegrationName string          `json:"integration"`
	Version         int             `json:"version"`
	Action          string          `json:"action"`
	Environment     string          `json:"environment"`
	Method          string          `json:"method"`
	URL             string          `json:"url"`
	Params          json.RawMessage `json:"params"`
	RequestHash     string          `json:"request_hash"`
	Team            string          `json:"team,omitempty"`         // the team that may decide besides admins
	RequestedBy     string          `json:"requested_by,omitempty"` // the member the call acts for
	Requester       string          `json:"requester"`              // agent, key or webhook id
	Via             string          `json:"via"`
	Status          string          `json:"status"`
	DecidedBy       string          `json:"decided_by,omitempty"`
	Comment         string          `json:"comment,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
	ExpiresAt       time.Time       `json:"expires_at"`
	DecidedAt       *time.Time      `json:"decided_at,omitempty"`
	ExecutedAt      *time.Time      `json:"executed_at,omitempty"`
}

const approvalColumns = `id, org_id, scope, idem_key, integration_id, integration_name, version, action, environment, method, url, params,
	request_hash, team, requested_by, requester, via, status, decided_by, comment, created_at, expires_at, decided_at, executed_at`

func scanApproval(row rowScanner) (Approval, error) {
	var a Approval
	var params string
	var c, e int64
	var d, x sql.NullInt64
	err := row.Scan(&a.ID, &a.OrgID, &a.Scope, &a.Key, &a.IntegrationID, &a.IntegrationName, &a.Version, &a.Action, &a.Environment,
		&a.Method, &a.URL, &params, &a.RequestHash, &a.Team, &a.RequestedBy, &a.Requester, &a.Via, &a.Status, &a.DecidedBy, &a.Comment,
		&c, &e, &d, &x)
	if err != nil {
		return a, mapErr(err)
	}
	a.Params, a.CreatedAt, a.ExpiresAt = json.RawMessage(params), ms(c), ms(e)
	if d.Valid {
		t := ms(d.Int64)
		a.DecidedAt = &t
	}
	if x.Valid {
		t := ms(x.Int64)
		a.ExecutedAt = &t
	}
	return a, nil
}

// CreateApproval parks a call. A second one for the same caller and key is
// ErrConflict.
func (t *Tx) CreateApproval(ctx context.Context, a Approval) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO approvals (`+approvalColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`),
		a.ID, a.OrgID, a.Scope, a.Key, a.IntegrationID, a.IntegrationName, a.Version, a.Action, a.Environment, a.Method, a.URL, string(a.Params),
		a.RequestHash, a.Team, a.RequestedBy, a.Requester, a.Via, a.Status, a.DecidedBy, a.Comment, a.CreatedAt.UnixMilli(), a.ExpiresAt.UnixMilli())
	return mapErr(err)
}

// ApprovalByKey is the approval of a caller's idempotency key.
func (s *Store) ApprovalByKey(ctx context.Context, orgID, scope, key string) (Approval, error) {
	return scanApproval(s.w.QueryRowContext(ctx, s.q(`SELECT `+approvalColumns+` FROM approvals WHERE org_id = ? AND scope = ? AND idem_key = ?`), orgID, scope, key))
}

// GetApproval reads one approval of an organization.
func (s *Store) GetApproval(ctx context.Context, orgID, id string) (Approval, error) {
	return scanApproval(s.w.QueryRowContext(ctx, s.q(`SELECT `+approvalColumns+` FROM approvals WHERE org_id = ? AND id = ?`), orgID, id))
}

// ListApprovals lists an organization's approvals, newest first, of one
// status ("" for all), at most limit.
func (s *Store) ListApprovals(ctx context.Context, orgID, status string, limit int) ([]Approval, error) {
	return queryAll(ctx, s.w, s.q(`SELECT `+approvalColumns+` FROM approvals WHERE org_id = ? AND (? = '' OR status = ?)
		ORDER BY created_at DESC, id DESC LIMIT ?`), scanApproval, orgID, status, status, limit)
}

// CountPendingApprovals counts the approvals waiting in an organization.
func (s *Store) CountPendingApprovals(ctx context.Context, orgID string, now time.Time) (int, error) {
	var n int
	err := s.w.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM approvals WHERE org_id = ? AND status = 'pending' AND expires_at > ?`), orgID, now.UnixMilli()).Scan(&n)
	return n, mapErr(err)
}

// ExpiredApprovals lists pending approvals whose time ran out before now,
// in every organization, at most limit.
func (s *Store) ExpiredApprovals(ctx context.Context, now time.Time, limit int) ([]Approval, error) {
	return queryAll(ctx, s.w, s.q(`SELECT `+approvalColumns+` FROM approvals WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?`),
		scanApproval, now.UnixMilli(), limit)
}

// DecideApproval records a decision on a pending approval that has not
// expired at at. Another state is ErrConflict.
func (t *Tx) DecideApproval(ctx context.Context, orgID, id, status, by, comment string, at time.Time) error {
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE approvals SET status = ?, decided_by = ?, comment = ?, decided_at = ?
		WHERE org_id = ? AND id = ? AND status = 'pending' AND expires_at > ?`), status, by, comment, at.UnixMilli(), orgID, id, at.UnixMilli())
	if err := affected(res, err); err != nil {
		if err == ErrNotFound {
			return ErrConflict
		}
		return err
	}
	return nil
}

// ExpireApproval marks a pending approval whose time ran out as expired;
// ErrConflict when it is no longer pending or not yet due.
func (t *Tx) ExpireApproval(ctx context.Context, orgID, id string, at time.Time) error {
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE approvals SET status = 'expired', decided_at = ?
		WHERE org_id = ? AND id = ? AND status = 'pending' AND expires_at <= ?`), at.UnixMilli(), orgID, id, at.UnixMilli())
	if err := affected(res, err); err != nil {
		if err == ErrNotFound {
			return ErrConflict
		}
		return err
	}
	return nil
}

// ClaimApprovalExecution marks an approved call as sent, once: a second
// claim is ErrConflict.
func (t *Tx) ClaimApprovalExecution(ctx context.Context, orgID, id string, at time.Time) error {
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE approvals SET executed_at = ? WHERE org_id = ? AND id = ? AND status = 'approved' AND executed_at IS NULL`),
		at.UnixMilli(), orgID, id)
	if err := affected(res, err); err != nil {
		if err == ErrNotFound {
			return ErrConflict
		}
		return err
	}
	return nil
}

// ApprovalSettings is where an organization hears of new approvals.
type ApprovalSettings struct {
	NotifyURL    string
	NotifySecret string // sealed by the vault
}

// GetApprovalSettings reads an organization's settings; none is zero.
func (s *Store) GetApprovalSettings(ctx context.Context, orgID string) (ApprovalSettings, error) {
	var a ApprovalSettings
	err := s.w.QueryRowContext(ctx, s.q(`SELECT notify_url, notify_secret FROM approval_settings WHERE id = ?`), orgID).Scan(&a.NotifyURL, &a.NotifySecret)
	if err == sql.ErrNoRows {
		return a, nil
	}
	return a, mapErr(err)
}

// SetApprovalSettings replaces an organization's settings.
func (t *Tx) SetApprovalSettings(ctx context.Context, orgID string, a ApprovalSettings) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO approval_settings (id, notify_url, notify_secret) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET notify_url = excluded.notify_url, notify_secret = excluded.notify_secret`), orgID, a.NotifyURL, a.NotifySecret)
	return mapErr(err)
}
