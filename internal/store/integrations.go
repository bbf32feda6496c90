package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// Integration kinds.
const (
	KindConnector = "connector" // defined in JSON
	KindCode      = "code"      // defined with the Go SDK, served by workers
)

// Integration is the mutable head of an integration; its definitions live
// in immutable versions.
type Integration struct {
	ID              string    `json:"id"`
	OrgID           string    `json:"org_id"`
	Slug            string    `json:"slug"`
	Name            string    `json:"name"`
	Kind            string    `json:"kind"`
	LatestVersion   int       `json:"version"`
	DeployedVersion int       `json:"deployed_version,omitempty"`
	CreatedBy       string    `json:"created_by,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Status is "deployed" when the latest version is the deployed one, else
// "draft".
func (i Integration) Status() string {
	if i.DeployedVersion != 0 && i.DeployedVersion == i.LatestVersion {
		return "deployed"
	}
	return "draft"
}

// Version is one frozen definition of an integration.
type Version struct {
	IntegrationID string          `json:"integration_id"`
	Version       int             `json:"version"`
	Definition    json.RawMessage `json:"definition"`
	CreatedBy     string          `json:"created_by,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	DeployedAt    time.Time       `json:"deployed_at,omitzero"`
}

const integrationCols = `id, org_id, slug, name, kind, latest_version, deployed_version, created_by, created_at, updated_at`

func scanIntegration(row interface{ Scan(...any) error }) (Integration, error) {
	var i Integration
	var deployed sql.NullInt64
	var c, u int64
	if err := row.Scan(&i.ID, &i.OrgID, &i.Slug, &i.Name, &i.Kind, &i.LatestVersion, &deployed, &i.CreatedBy, &c, &u); err != nil {
		return Integration{}, mapErr(err)
	}
	i.DeployedVersion, i.CreatedAt, i.UpdatedAt = int(deployed.Int64), ms(c), ms(u)
	return i, nil
}

// CreateIntegration stores a new integration with definition as version 1.
// A slug already used in the organization is ErrConflict.
func (s *Store) CreateIntegration(ctx context.Context, in Integration, definition []byte) (Integration, error) {
	t := time.Now().UTC()
	in.ID = id.New("int")
	in.LatestVersion, in.DeployedVersion = 1, 0
	in.CreatedAt, in.UpdatedAt = t, t
	if in.Kind == "" {
		in.Kind = KindConnector
	}
	err := s.InTx(ctx, func(tx *Tx) error {
		tx.touch()
		if _, err := tx.tx.ExecContext(ctx, s.q(`INSERT INTO integrations (`+integrationCols+`) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`),
			in.ID, in.OrgID, in.Slug, in.Name, in.Kind, 1, in.CreatedBy, t.UnixMilli(), t.UnixMilli()); err != nil {
			return mapErr(err)
		}
		return tx.insertVersion(ctx, in.ID, 1, definition, in.CreatedBy, t)
	})
	if err != nil {
		return Integration{}, fmt.Errorf("create integration %q: %w", in.Slug, err)
	}
	return in, nil
}

func (t *Tx) insertVersion(ctx context.Context, integrationID string, version int, def []byte, by string, at time.Time) error {
	t.touch()
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO integration_versions (integration_id, version, definition, created_by, created_at) VALUES (?, ?, ?, ?, ?)`),
		integrationID, version, string(def), by, at.UnixMilli())
	return mapErr(err)
}

// GetIntegration finds an organization's integration by id or slug.
func (s *Store) GetIntegration(ctx context.Context, orgID, idOrSlug string) (Integration, error) {
	gen, memoized := s.memoGen()
	key := [2]string{orgID, idOrSlug}
	if memoized {
		if in, ok := s.memos.integrations.get(key, gen); ok {
			return in, nil
		}
	}
	in, err := scanIntegration(s.readRow(ctx, `SELECT `+integrationCols+` FROM integrations WHERE org_id = ? AND (id = ? OR slug = ?)`, orgID, idOrSlug, idOrSlug))
	if err == nil && memoized {
		s.memos.integrations.put(key, gen, in)
	}
	return in, err
}

// ListIntegrations lists an organization's integrations, newest first.
func (s *Store) ListIntegrations(ctx context.Context, orgID string) ([]Integration, error) {
	return queryAll(ctx, s.r, s.q(`SELECT `+integrationCols+` FROM integrations WHERE org_id = ? ORDER BY created_at DESC, id DESC`), scanIntegration, orgID)
}

// CountIntegrations counts an organization's integrations (for plan limits).
func (s *Store) CountIntegrations(ctx context.Context, orgID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM integrations WHERE org_id = ?`), orgID).Scan(&n)
	return n, err
}

// AddVersion stores definition as the next version (a new draft) and
// renames the integration; the deployed version is untouched.
func (s *Store) AddVersion(ctx context.Context, orgID, integrationID, name string, definition []byte, by string) (Integration, error) {
	var out Integration
	err := s.InTx(ctx, func(tx *Tx) error {
		cur, err := scanIntegration(tx.tx.QueryRowContext(ctx, s.q(`SELECT `+integrationCols+` FROM integrations WHERE org_id = ? AND id = ?`+s.forUpdate()), orgID, integrationID))
		if err != nil {
			return err
		}
		t := time.Now().UTC()
		next := cur.LatestVersion + 1
		if err := tx.insertVersion(ctx, cur.ID, next, definition, by, t); err != nil {
			return err
		}
		tx.touch()
		if _, err := tx.tx.ExecContext(ctx, s.q(`UPDATE integrations SET latest_version = ?, name = ?, updated_at = ? WHERE id = ?`), next, name, t.UnixMilli(), cur.ID); err != nil {
			return mapErr(err)
		}
		cur.LatestVersion, cur.Name, cur.UpdatedAt = next, name, t
		out = cur
		return nil
	})
	if err != nil {
		return Integration{}, fmt.Errorf("update integration %s: %w", integrationID, err)
	}
	return out, nil
}

// Deploy marks version as the deployed one. Versions are immutable, so
// deploying freezes exactly what was tested.
func (s *Store) Deploy(ctx context.Context, orgID, integrationID string, version int) (Integration, error) {
	var out Integration
	err := s.InTx(ctx, func(tx *Tx) error {
		t := now()
		tx.touch()
		res, err := tx.tx.ExecContext(ctx, s.q(`UPDATE integration_versions SET deployed_at = ? WHERE integration_id = ? AND version = ?`), t, integrationID, version)
		if err := affected(res, err); err != nil {
			return err
		}
		res, err = tx.tx.ExecContext(ctx, s.q(`UPDATE integrations SET deployed_version = ?, updated_at = ? WHERE org_id = ? AND id = ?`), version, t, orgID, integrationID)
		if err := affected(res, err); err != nil {
			return err
		}
		out, err = scanIntegration(tx.tx.QueryRowContext(ctx, s.q(`SELECT `+integrationCols+` FROM integrations WHERE id = ?`), integrationID))
		return err
	})
	if err != nil {
		return Integration{}, fmt.Errorf("deploy integration %s v%d: %w", integrationID, version, err)
	}
	return out, nil
}

// DeleteIntegration removes an integration with its versions and connections.
func (s *Store) DeleteIntegration(ctx context.Context, orgID, integrationID string) error {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM integrations WHERE org_id = ? AND id = ?`), orgID, integrationID)
	s.bump()
	return affected(res, err)
}

// GetVersion loads one version of an integration.
func (s *Store) GetVersion(ctx context.Context, integrationID string, version int) (Version, error) {
	var v Version
	var c int64
	var d sql.NullInt64
	var def string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT integration_id, version, definition, created_by, created_at, deployed_at FROM integration_versions WHERE integration_id = ? AND version = ?`), integrationID, version).
		Scan(&v.IntegrationID, &v.Version, &def, &v.CreatedBy, &c, &d)
	if err != nil {
		return Version{}, mapErr(err)
	}
	v.Definition, v.CreatedAt, v.DeployedAt = json.RawMessage(def), ms(c), nullMS(d)
	return v, nil
}

// ListVersions lists an integration's versions, newest first, without
// their definitions.
func (s *Store) ListVersions(ctx context.Context, integrationID string) ([]Version, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT integration_id, version, created_by, created_at, deployed_at FROM integration_versions WHERE integration_id = ? ORDER BY version DESC`), integrationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var c int64
		var d sql.NullInt64
		if err := rows.Scan(&v.IntegrationID, &v.Version, &v.CreatedBy, &c, &d); err != nil {
			return nil, err
		}
		v.CreatedAt, v.DeployedAt = ms(c), nullMS(d)
		out = append(out, v)
	}
	return out, rows.Err()
}

// forUpdate locks the selected row on PostgreSQL; SQLite's single writer
// already serializes the transaction.
func (s *Store) forUpdate() string {
	if s.engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}
