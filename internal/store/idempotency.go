package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// IdempotencyRecord is what is kept of a call made with an idempotency key:
// a fingerprint of the request, to refuse the key's reuse for another one,
// and the result, or none while the call is in flight.
type IdempotencyRecord struct {
	OrgID       string
	Scope       string // who may replay it: the caller and the kind of call
	Key         string
	Fingerprint string
	Result      json.RawMessage // nil while in flight
	CreatedAt   time.Time
}

// ReserveIdempotencyKey claims rec's key for a new call. When the key is
// already held by a call within the window it returns that record and
// reserved false. A record older than expired, or one left in flight since
// before abandoned (its caller crashed), no longer holds the key.
func (s *Store) ReserveIdempotencyKey(ctx context.Context, rec IdempotencyRecord, expired, abandoned time.Time) (IdempotencyRecord, bool, error) {
	var held IdempotencyRecord
	reserved := false
	err := s.InGroupTx(ctx, func(tx *Tx) error {
		held, reserved = IdempotencyRecord{}, false
		if _, err := tx.tx.ExecContext(ctx, s.q(`DELETE FROM idempotency_keys WHERE org_id = ? AND scope = ? AND idem_key = ?
			AND (created_at < ? OR (result IS NULL AND created_at < ?))`),
			rec.OrgID, rec.Scope, rec.Key, expired.UnixMilli(), abandoned.UnixMilli()); err != nil {
			return mapErr(err)
		}
		// ON CONFLICT DO NOTHING has the same spelling on both engines, and
		// on PostgreSQL waits for a concurrent insert of the same key.
		res, err := tx.tx.ExecContext(ctx, s.q(`INSERT INTO idempotency_keys (org_id, scope, idem_key, fingerprint, result, created_at) VALUES (?, ?, ?, ?, NULL, ?)
			ON CONFLICT (org_id, scope, idem_key) DO NOTHING`),
			rec.OrgID, rec.Scope, rec.Key, rec.Fingerprint, rec.CreatedAt.UnixMilli())
		if err != nil {
			return mapErr(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			reserved = true
			return nil
		}
		var result sql.NullString
		var c int64
		err = tx.tx.QueryRowContext(ctx, s.q(`SELECT org_id, scope, idem_key, fingerprint, result, created_at FROM idempotency_keys WHERE org_id = ? AND scope = ? AND idem_key = ?`),
			rec.OrgID, rec.Scope, rec.Key).Scan(&held.OrgID, &held.Scope, &held.Key, &held.Fingerprint, &result, &c)
		if err != nil {
			return mapErr(err)
		}
		held.CreatedAt = ms(c)
		if result.Valid {
			held.Result = json.RawMessage(result.String)
		}
		return nil
	})
	return held, reserved, err
}

// CompleteIdempotencyKey stores the result of the call holding a key.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, orgID, scope, key string, result json.RawMessage) error {
	return s.InGroupTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, s.q(`UPDATE idempotency_keys SET result = ? WHERE org_id = ? AND scope = ? AND idem_key = ?`), string(result), orgID, scope, key)
		return affected(res, err)
	})
}

// ReleaseIdempotencyKey frees a key whose call ended without a result to
// keep (it never reached the API), so that a retry runs it again.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, orgID, scope, key string) error {
	return s.InGroupTx(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, s.q(`DELETE FROM idempotency_keys WHERE org_id = ? AND scope = ? AND idem_key = ? AND result IS NULL`), orgID, scope, key)
		return mapErr(err)
	})
}

// PurgeIdempotencyKeys deletes the records created before t and reports how
// many there were.
func (s *Store) PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM idempotency_keys WHERE created_at < ?`), before.UnixMilli())
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}
