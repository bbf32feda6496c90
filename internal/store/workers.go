package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// CodeRegistration is what a worker registers for a code integration:
// the definition (in connector form) plus the worker's own manifest and
// its hash, which decides whether a new version is needed.
type CodeRegistration struct {
	OrgID        string
	Slug, Name   string
	Definition   []byte
	ManifestHash string
	Manifest     []byte
	By           string
	// CheckNew is called before a new integration is created, with the
	// organization's integration count (the plan limit).
	CheckNew func(count int) error
	// CheckExisting is called with the integration of r.Slug when it
	// exists, before anything is written (whether the caller may use it).
	CheckExisting func(Integration) error
}

// RegisterCode creates the code integration named by r.Slug, or adds a
// version when the manifest hash differs from the latest one. changed
// reports whether anything was written. An integration of another kind
// with the same slug is ErrConflict.
func (s *Store) RegisterCode(ctx context.Context, r CodeRegistration) (in Integration, changed bool, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		in, changed, err = tx.RegisterCode(ctx, r)
		return err
	})
	return in, changed, err
}

// RegisterCode is [Store.RegisterCode] inside a transaction.
func (tx *Tx) RegisterCode(ctx context.Context, r CodeRegistration) (Integration, bool, error) {
	in, write, err := tx.codeIntegration(ctx, r)
	if err != nil || !write {
		return in, false, err
	}
	if err := tx.insertVersion(ctx, in.ID, in.LatestVersion, r.Definition, r.By, in.UpdatedAt); err != nil {
		return Integration{}, false, fmt.Errorf("register code integration %q: %w", r.Slug, err)
	}
	_, err = tx.tx.ExecContext(ctx, tx.s.q(`INSERT INTO code_versions (integration_id, version, manifest_hash, manifest, created_at) VALUES (?, ?, ?, ?, ?)`),
		in.ID, in.LatestVersion, r.ManifestHash, string(r.Manifest), in.UpdatedAt.UnixMilli())
	if err != nil {
		return Integration{}, false, fmt.Errorf("register code integration %q: %w", r.Slug, mapErr(err))
	}
	return in, true, nil
}

// codeIntegration creates the integration of r or moves an existing one to
// its next version, and returns it; write reports whether that version is
// new (an unchanged manifest writes nothing).
func (tx *Tx) codeIntegration(ctx context.Context, r CodeRegistration) (in Integration, write bool, err error) {
	s := tx.s
	at := time.Now().UTC()
	cur, err := scanIntegration(tx.tx.QueryRowContext(ctx, s.q(`SELECT `+integrationCols+` FROM integrations WHERE org_id = ? AND slug = ?`+s.forUpdate()), r.OrgID, r.Slug))
	if errors.Is(err, ErrNotFound) {
		if r.CheckNew != nil {
			n, err := tx.CountIntegrations(ctx, r.OrgID)
			if err != nil {
				return Integration{}, false, err
			}
			if err := r.CheckNew(n); err != nil {
				return Integration{}, false, err
			}
		}
		in = Integration{ID: id.New("int"), OrgID: r.OrgID, Slug: r.Slug, Name: r.Name, Kind: KindCode, LatestVersion: 1, CreatedBy: r.By, CreatedAt: at, UpdatedAt: at}
		tx.touch()
		if _, err := tx.tx.ExecContext(ctx, s.q(`INSERT INTO integrations (`+integrationCols+`) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`),
			in.ID, in.OrgID, in.Slug, in.Name, in.Kind, 1, in.CreatedBy, at.UnixMilli(), at.UnixMilli()); err != nil {
			return Integration{}, false, fmt.Errorf("register code integration %q: %w", r.Slug, mapErr(err))
		}
		return in, true, nil
	}
	if err != nil {
		return Integration{}, false, err
	}
	if r.CheckExisting != nil {
		if err := r.CheckExisting(cur); err != nil {
			return Integration{}, false, err
		}
	}
	if cur.Kind != KindCode {
		return Integration{}, false, fmt.Errorf("register code integration %q: %w: integration %q is defined in JSON, not in code", r.Slug, ErrConflict, cur.Name)
	}
	var hash string
	err = tx.tx.QueryRowContext(ctx, s.q(`SELECT manifest_hash FROM code_versions WHERE integration_id = ? AND version = ?`), cur.ID, cur.LatestVersion).Scan(&hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Integration{}, false, err
	}
	if hash == r.ManifestHash {
		return cur, false, nil
	}
	cur.LatestVersion, cur.Name, cur.UpdatedAt = cur.LatestVersion+1, r.Name, at
	tx.touch()
	if _, err := tx.tx.ExecContext(ctx, s.q(`UPDATE integrations SET latest_version = ?, name = ?, updated_at = ? WHERE id = ?`), cur.LatestVersion, cur.Name, at.UnixMilli(), cur.ID); err != nil {
		return Integration{}, false, fmt.Errorf("register code integration %q: %w", r.Slug, mapErr(err))
	}
	return cur, true, nil
}

// CodeManifest returns the manifest a worker registered for a version.
func (s *Store) CodeManifest(ctx context.Context, integrationID string, version int) ([]byte, error) {
	var m string
	err := s.readRow(ctx, `SELECT manifest FROM code_versions WHERE integration_id = ? AND version = ?`, integrationID, version).Scan(&m)
	return []byte(m), mapErr(err)
}

// Worker is one connected worker process.
type Worker struct {
	ID            string    `json:"id"`
	OrgID         string    `json:"-"`
	IntegrationID string    `json:"integration_id"`
	Name          string    `json:"name"`
	SDK           string    `json:"sdk"`
	Version       int       `json:"version"`
	Actions       []string  `json:"actions"`
	Concurrency   int       `json:"concurrency"`
	KeyID         string    `json:"-"`
	ConnectedAt   time.Time `json:"connected_at"`
	LastSeenAt    time.Time `json:"last_seen_at"`
	StoppedAt     time.Time `json:"stopped_at,omitzero"`
}

const workerCols = `id, org_id, integration_id, name, sdk, version, actions, concurrency, key_id, connected_at, last_seen_at, stopped_at`

func scanWorker(row interface{ Scan(...any) error }) (Worker, error) {
	var w Worker
	var actions string
	var c, l int64
	var stopped sql.NullInt64
	if err := row.Scan(&w.ID, &w.OrgID, &w.IntegrationID, &w.Name, &w.SDK, &w.Version, &actions, &w.Concurrency, &w.KeyID, &c, &l, &stopped); err != nil {
		return Worker{}, mapErr(err)
	}
	if actions != "" {
		w.Actions = strings.Split(actions, ",")
	}
	w.ConnectedAt, w.LastSeenAt, w.StoppedAt = ms(c), ms(l), nullMS(stopped)
	return w, nil
}

// CreateWorker records a newly registered worker, in a transaction of
// its own.
func (s *Store) CreateWorker(ctx context.Context, w Worker) (Worker, error) {
	return inTx(ctx, s, func(tx *Tx) (Worker, error) { return tx.CreateWorker(ctx, w) })
}

// CreateWorker records a newly registered worker.
func (tx *Tx) CreateWorker(ctx context.Context, w Worker) (Worker, error) {
	t := time.Now().UTC()
	w.ID = id.New("wrk")
	w.ConnectedAt, w.LastSeenAt = t, t
	_, err := tx.tx.ExecContext(ctx, tx.s.q(`INSERT INTO workers (`+workerCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`),
		w.ID, w.OrgID, w.IntegrationID, w.Name, w.SDK, w.Version, strings.Join(w.Actions, ","), w.Concurrency, w.KeyID, t.UnixMilli(), t.UnixMilli())
	if err != nil {
		return Worker{}, fmt.Errorf("record worker: %w", mapErr(err))
	}
	return w, nil
}

// GetWorker loads an organization's worker.
func (s *Store) GetWorker(ctx context.Context, orgID, workerID string) (Worker, error) {
	return scanWorker(s.readRow(ctx, `SELECT `+workerCols+` FROM workers WHERE org_id = ? AND id = ?`, orgID, workerID))
}

// TouchWorker marks the worker as seen now. A stopped worker stays
// stopped (ErrNotFound), so it registers again.
func (s *Store) TouchWorker(ctx context.Context, orgID, workerID string) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE workers SET last_seen_at = ? WHERE org_id = ? AND id = ? AND stopped_at IS NULL`), now(), orgID, workerID)
	return affected(res, err)
}

// StopWorker marks the worker stopped and puts the invocations leased to
// it back in the queue, except those in running (still finishing).
func (s *Store) StopWorker(ctx context.Context, orgID, workerID string, running []string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		t := now()
		res, err := tx.tx.ExecContext(ctx, s.q(`UPDATE workers SET stopped_at = ?, last_seen_at = ? WHERE org_id = ? AND id = ? AND stopped_at IS NULL`), t, t, orgID, workerID)
		if err := affected(res, err); err != nil {
			return err
		}
		q := `UPDATE worker_invocations SET status = ?, worker_id = '', lease_expires_at = NULL, updated_at = ? WHERE org_id = ? AND worker_id = ? AND status = ?`
		args := []any{InvPending, t, orgID, workerID, InvLeased}
		if len(running) > 0 {
			q += ` AND id NOT IN (` + placeholders(len(running)) + `)`
			for _, r := range running {
				args = append(args, r)
			}
		}
		_, err = tx.tx.ExecContext(ctx, s.q(q), args...)
		return mapErr(err)
	})
}

// LiveWorkers counts the workers of each integration of an organization
// seen since the given time and not stopped. With action set, only
// workers serving that action count.
func (s *Store) LiveWorkers(ctx context.Context, orgID, integrationID, action string, since time.Time) (int, error) {
	st, err := s.readStmt(ctx, `SELECT actions FROM workers WHERE org_id = ? AND integration_id = ? AND stopped_at IS NULL AND last_seen_at >= ?`)
	if err != nil {
		return 0, err
	}
	rows, err := st.QueryContext(ctx, orgID, integrationID, since.UnixMilli())
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var actions string
		if err := rows.Scan(&actions); err != nil {
			return 0, err
		}
		if action == "" || containsKey(actions, action) {
			n++
		}
	}
	return n, rows.Err()
}

// ListWorkers lists an integration's workers seen since the given time,
// newest first.
func (s *Store) ListWorkers(ctx context.Context, orgID, integrationID string, since time.Time) ([]Worker, error) {
	return queryAll(ctx, s.r, s.q(`SELECT `+workerCols+` FROM workers WHERE org_id = ? AND integration_id = ? AND last_seen_at >= ? ORDER BY connected_at DESC, id DESC`), scanWorker, orgID, integrationID, since.UnixMilli())
}

// PurgeWorkers deletes worker rows not seen since the given time.
func (s *Store) PurgeWorkers(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM workers WHERE last_seen_at < ?`), before.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func containsKey(list, key string) bool {
	for _, k := range strings.Split(list, ",") {
		if k == key {
			return true
		}
	}
	return false
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
