package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// AuditEvent is one entry of an organization's audit trail. Hash covers
// every field and the previous entry's hash, so the trail is tamper-evident:
// editing, inserting or deleting an entry breaks every later link.
type AuditEvent struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"org_id"`
	Seq         int64     `json:"seq"`
	ActorUserID string    `json:"actor_user_id,omitempty"`
	ActorKeyID  string    `json:"actor_key_id,omitempty"`
	Action      string    `json:"action"`
	TargetType  string    `json:"target_type,omitempty"`
	TargetID    string    `json:"target_id,omitempty"`
	Detail      string    `json:"detail,omitempty"`
	IP          string    `json:"ip,omitempty"`
	Status      int       `json:"status,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	PrevHash    string    `json:"prev_hash"`
	Hash        string    `json:"hash"`
}

// genesisHash is the "previous hash" of an organization's first entry.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// digest is the entry's hash: SHA-256 over its fields, unit-separated.
func (e *AuditEvent) digest() string {
	h := sha256.New()
	for _, f := range []string{e.PrevHash, e.ID, e.OrgID, strconv.FormatInt(e.Seq, 10), e.ActorUserID, e.ActorKeyID,
		e.Action, e.TargetType, e.TargetID, e.Detail, e.IP, strconv.Itoa(e.Status), strconv.FormatInt(e.CreatedAt.UnixMilli(), 10)} {
		h.Write([]byte(f))
		h.Write([]byte{0x1f})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AppendAudit adds e to its organization's trail in a transaction of its
// own.
func (s *Store) AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error) {
	return inTx(ctx, s, func(tx *Tx) (AuditEvent, error) { return tx.AppendAudit(ctx, e) })
}

// AppendAudit adds e to its organization's trail, linking it to the last
// entry, in the transaction that makes the change it records: the entry
// exists exactly when the change does. Appends for one organization are
// serialized (a row lock on the organization on PostgreSQL; SQLite has one
// writer).
func (t *Tx) AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error) {
	e.ID = id.New("aud")
	e.CreatedAt = time.Now().UTC().Truncate(time.Millisecond)
	if t.s.engine == Postgres {
		if _, err := t.tx.ExecContext(ctx, t.s.q(`SELECT id FROM orgs WHERE id = ? FOR UPDATE`), e.OrgID); err != nil {
			return AuditEvent{}, fmt.Errorf("append audit event: %w", err)
		}
	}
	var seq int64
	prev := genesisHash
	err := t.tx.QueryRowContext(ctx, t.s.q(`SELECT seq, hash FROM audit_events WHERE org_id = ? ORDER BY seq DESC LIMIT 1`), e.OrgID).Scan(&seq, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		// A trail truncated to nothing goes on from its anchor.
		err = t.tx.QueryRowContext(ctx, t.s.q(`SELECT through_seq, hash FROM audit_anchors WHERE org_id = ?`), e.OrgID).Scan(&seq, &prev)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return AuditEvent{}, fmt.Errorf("append audit event: %w", err)
	}
	e.Seq, e.PrevHash = seq+1, prev
	e.Hash = e.digest()
	_, err = t.tx.ExecContext(ctx, t.s.q(`INSERT INTO audit_events (id, org_id, seq, actor_user_id, actor_key_id, action, target_type, target_id, detail, ip, status, created_at, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, e.OrgID, e.Seq, e.ActorUserID, e.ActorKeyID, e.Action, e.TargetType, e.TargetID, e.Detail, e.IP, e.Status, e.CreatedAt.UnixMilli(), e.PrevHash, e.Hash)
	if err != nil {
		return AuditEvent{}, fmt.Errorf("append audit event: %w", mapErr(err))
	}
	return e, nil
}

const auditCols = `id, org_id, seq, actor_user_id, actor_key_id, action, target_type, target_id, detail, ip, status, created_at, prev_hash, hash`

func scanAudit(row interface{ Scan(...any) error }) (AuditEvent, error) {
	var e AuditEvent
	var c int64
	err := row.Scan(&e.ID, &e.OrgID, &e.Seq, &e.ActorUserID, &e.ActorKeyID, &e.Action, &e.TargetType, &e.TargetID, &e.Detail, &e.IP, &e.Status, &c, &e.PrevHash, &e.Hash)
	e.CreatedAt = ms(c)
	return e, err
}

// AuditFilter narrows an audit listing; Before is a seq cursor.
type AuditFilter struct {
	ActorUserID string
	TargetID    string
	Action      string // prefix match
	Since       time.Time
	Before      int64
	Limit       int
}

// ListAudit lists an organization's audit trail, newest first.
func (s *Store) ListAudit(ctx context.Context, orgID string, f AuditFilter) ([]AuditEvent, error) {
	where := []string{"org_id = ?"}
	args := []any{orgID}
	if f.ActorUserID != "" {
		where, args = append(where, "actor_user_id = ?"), append(args, f.ActorUserID)
	}
	if f.TargetID != "" {
		where, args = append(where, "target_id = ?"), append(args, f.TargetID)
	}
	if f.Action != "" {
		where, args = append(where, "action LIKE ?"), append(args, strings.ReplaceAll(f.Action, "%", "")+"%")
	}
	if !f.Since.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, f.Since.UnixMilli())
	}
	if f.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, f.Before)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	return queryAll(ctx, s.r, s.q(`SELECT `+auditCols+` FROM audit_events WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY seq DESC LIMIT %d`, limit)), scanAudit, args...)
}

// AuditVerification is the result of walking a trail.
type AuditVerification struct {
	OK       bool   `json:"ok"`
	Entries  int64  `json:"entries"`
	BrokenAt int64  `json:"broken_at,omitempty"` // seq of the first entry that does not verify
	Reason   string `json:"reason,omitempty"`
}

// VerifyAudit recomputes every link of an organization's trail, from its
// first entry or, after a truncation, from the anchor the truncation left
// (which the trail's own record of the truncation must match).
func (s *Store) VerifyAudit(ctx context.Context, orgID string) (AuditVerification, error) {
	anchor, err := s.auditStart(ctx, orgID)
	if err != nil {
		return AuditVerification{}, err
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+auditCols+` FROM audit_events WHERE org_id = ? ORDER BY seq`), orgID)
	if err != nil {
		return AuditVerification{}, err
	}
	defer rows.Close()
	v := AuditVerification{OK: true}
	prev, want := anchor.Hash, anchor.ThroughSeq+1
	var truncation *AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return AuditVerification{}, err
		}
		v.Entries++
		switch {
		case e.Seq != want:
			return AuditVerification{Entries: v.Entries, BrokenAt: want, Reason: fmt.Sprintf("entry %d is missing", want)}, nil
		case e.PrevHash != prev:
			return AuditVerification{Entries: v.Entries, BrokenAt: e.Seq, Reason: "the link to the previous entry does not match"}, nil
		case e.digest() != e.Hash:
			return AuditVerification{Entries: v.Entries, BrokenAt: e.Seq, Reason: "the entry was changed after it was written"}, nil
		}
		if e.Action == AuditTruncate {
			truncation = &e
		}
		prev, want = e.Hash, want+1
	}
	if err := rows.Err(); err != nil {
		return AuditVerification{}, err
	}
	if reason := checkAnchor(anchor, truncation); reason != "" {
		return AuditVerification{Entries: v.Entries, BrokenAt: anchor.ThroughSeq + 1, Reason: reason}, nil
	}
	return v, nil
}
