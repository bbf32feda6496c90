package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// AuditTruncate is the action of the entry that records a truncation; its
// detail holds through_seq and hash, which must match the anchor.
const AuditTruncate = "audit.truncate"

// AuditAnchor is where a truncated trail starts: entries up to ThroughSeq
// were removed, and the entry ThroughSeq+1 links to Hash.
type AuditAnchor struct {
	OrgID       string
	ThroughSeq  int64
	Hash        string
	TruncatedAt time.Time
}

// ExportAudit calls fn with each entry of orgID's trail created before t,
// oldest first, and returns the last one (zero when there was none).
// Entries never change once written, so the export needs no transaction
// and holds no lock.
func (s *Store) ExportAudit(ctx context.Context, orgID string, before time.Time, fn func(AuditEvent) error) (AuditEvent, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+auditCols+` FROM audit_events WHERE org_id = ? AND created_at < ? ORDER BY seq`), orgID, before.UnixMilli())
	if err != nil {
		return AuditEvent{}, err
	}
	defer rows.Close()
	var last AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return AuditEvent{}, err
		}
		if err := fn(e); err != nil {
			return AuditEvent{}, err
		}
		last = e
	}
	return last, rows.Err()
}

// TruncateAudit removes orgID's entries up to and including through and
// records through as the trail's anchor.
func (t *Tx) TruncateAudit(ctx context.Context, through AuditEvent) error {
	if _, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM audit_events WHERE org_id = ? AND seq <= ?`), through.OrgID, through.Seq); err != nil {
		return fmt.Errorf("truncate audit trail: %w", mapErr(err))
	}
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO audit_anchors (org_id, through_seq, hash, truncated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET through_seq = excluded.through_seq, hash = excluded.hash, truncated_at = excluded.truncated_at`),
		through.OrgID, through.Seq, through.Hash, now())
	if err != nil {
		return fmt.Errorf("anchor audit trail: %w", mapErr(err))
	}
	return nil
}

// auditStart is where orgID's trail begins: after its anchor, or at the
// genesis.
func (s *Store) auditStart(ctx context.Context, orgID string) (AuditAnchor, error) {
	a := AuditAnchor{OrgID: orgID, Hash: genesisHash}
	var at int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT through_seq, hash, truncated_at FROM audit_anchors WHERE org_id = ?`), orgID).Scan(&a.ThroughSeq, &a.Hash, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return a, nil
	}
	a.TruncatedAt = ms(at)
	return a, err
}

// checkAnchor compares the anchor with the newest truncation entry of the
// trail, so that an anchor moved to hide removed entries does not verify.
func checkAnchor(a AuditAnchor, truncation *AuditEvent) string {
	if a.ThroughSeq == 0 {
		return ""
	}
	if truncation == nil {
		return "the trail starts after a truncation that no entry records"
	}
	var d struct {
		ThroughSeq int64  `json:"through_seq"`
		Hash       string `json:"hash"`
	}
	if err := json.Unmarshal([]byte(truncation.Detail), &d); err != nil || d.ThroughSeq != a.ThroughSeq || d.Hash != a.Hash {
		return fmt.Sprintf("the trail's start (after entry %d) differs from what the last truncation recorded", a.ThroughSeq)
	}
	return ""
}
