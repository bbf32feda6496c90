package store

import (
	"context"
	"errors"
)

// canaryID is the vault canary's row id, bound to its sealed value.
const canaryID = "canary"

// VaultCanary returns the sealed canary, sealing one with seal when the
// database has none yet. Nodes starting at once agree on the first one
// written.
func (s *Store) VaultCanary(ctx context.Context, seal func(rowID string) (string, error)) (rowID, sealed string, err error) {
	err = s.readRow(ctx, `SELECT sealed FROM vault_canary WHERE id = ?`, canaryID).Scan(&sealed)
	if err == nil {
		return canaryID, sealed, nil
	}
	if !errors.Is(mapErr(err), ErrNotFound) {
		return "", "", err
	}
	fresh, err := seal(canaryID)
	if err != nil {
		return "", "", err
	}
	if _, err := s.w.ExecContext(ctx, s.q(`INSERT INTO vault_canary (id, sealed, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`), canaryID, fresh, now()); err != nil {
		return "", "", mapErr(err)
	}
	err = s.w.QueryRowContext(ctx, s.q(`SELECT sealed FROM vault_canary WHERE id = ?`), canaryID).Scan(&sealed)
	return canaryID, sealed, mapErr(err)
}
