package store

import (
	"context"
	"time"
)

// StoredResult is the full result of an action call that was larger than
// its caller's byte budget, kept for that caller to read in parts.
type StoredResult struct {
	ID            string
	OrgID         string
	Owner         string // the principal that may read it: "agent:<id>" or "user:<id>"
	IntegrationID string
	Action        string
	Body          []byte // JSON
	Items         int    // the number of items when Body is an array, else -1
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// PutResult stores a result in a transaction of its own.
func (s *Store) PutResult(ctx context.Context, r StoredResult) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.PutResult(ctx, r) })
}

// PutResult stores a result.
func (t *Tx) PutResult(ctx context.Context, r StoredResult) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO stored_results (id, org_id, owner, integration_id, action, body, size, items, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.ID, r.OrgID, r.Owner, r.IntegrationID, r.Action, string(r.Body), len(r.Body), r.Items, r.CreatedAt.UnixMilli(), r.ExpiresAt.UnixMilli())
	return mapErr(err)
}

// GetResult loads a stored result of owner in an organization. Another
// owner's, another organization's and an expired one are ErrNotFound.
func (s *Store) GetResult(ctx context.Context, orgID, owner, id string) (StoredResult, error) {
	r := StoredResult{ID: id, OrgID: orgID, Owner: owner}
	var body string
	var c, e int64
	err := s.readRow(ctx, `SELECT integration_id, action, body, items, created_at, expires_at FROM stored_results
		WHERE id = ? AND org_id = ? AND owner = ? AND expires_at > ?`, id, orgID, owner, now()).
		Scan(&r.IntegrationID, &r.Action, &body, &r.Items, &c, &e)
	if err != nil {
		return StoredResult{}, mapErr(err)
	}
	r.Body, r.CreatedAt, r.ExpiresAt = []byte(body), ms(c), ms(e)
	return r, nil
}

// PruneResults deletes the results that expired before at and says how
// many.
func (s *Store) PruneResults(ctx context.Context, at time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM stored_results WHERE expires_at <= ?`), at.UnixMilli())
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}
