package retention

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// AuditExport is what ExportAudit wrote: the entries, the last of them,
// and the SHA-256 of the export.
type AuditExport struct {
	OrgID   string
	Before  time.Time
	Entries int
	Last    store.AuditEvent
	SHA256  string
}

// ExportAudit writes orgID's audit entries created before t to w, one JSON
// object a line, oldest first. It is the operator's first step to truncate
// the trail: the entries leave the database only once they are written.
func ExportAudit(ctx context.Context, st *store.Store, orgID string, before time.Time, w io.Writer) (AuditExport, error) {
	h := sha256.New()
	enc := json.NewEncoder(io.MultiWriter(w, h))
	out := AuditExport{OrgID: orgID, Before: before}
	last, err := st.ExportAudit(ctx, orgID, before, func(e store.AuditEvent) error {
		out.Entries++
		return enc.Encode(e)
	})
	if err != nil {
		return AuditExport{}, fmt.Errorf("export the audit trail of %s: %w", orgID, err)
	}
	out.Last, out.SHA256 = last, hex.EncodeToString(h.Sum(nil))
	return out, nil
}

// TruncateAudit removes the exported entries and, in the same transaction,
// records the truncation as an entry of the trail (what was removed, the
// last removed entry's hash, the export's SHA-256), so that the kept trail
// still verifies from its anchor and says where its beginning went.
func TruncateAudit(ctx context.Context, st *store.Store, x AuditExport, operator string) error {
	if x.Entries == 0 {
		return errors.New("no audit entries to remove: the export was empty")
	}
	detail, _ := json.Marshal(map[string]any{
		"via": "cli", "operator": operator, "through_seq": x.Last.Seq, "hash": x.Last.Hash,
		"entries": x.Entries, "before": x.Before.UTC().Format(time.RFC3339), "export_sha256": x.SHA256,
	})
	return st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.TruncateAudit(ctx, x.Last); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, store.AuditEvent{OrgID: x.OrgID, Action: store.AuditTruncate, TargetType: "org", TargetID: x.OrgID, Detail: string(detail)})
		return err
	})
}
