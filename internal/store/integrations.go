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
func (s *Store) CreateIntegration(ctx context.Context, in Integration, definition []byte) (Integration, error) {
	return inTx(ctx, s, func(tx *Tx) (Integration, error) { return tx.CreateIntegration(ctx, in, definition) })
}

// CreateIntegration stores a new integration with definition as version 1.
// A slug already used in the organization is ErrConflict.
func (t *Tx) CreateIntegration(ctx context.Context, in Integration, definition []byte) (Integration, error) {
	at := time.Now().UTC()
	in.ID = id.New("int")
	in.LatestVersion, in.DeployedVersion = 1, 0
	in.CreatedAt, in.UpdatedAt = at, at
	if in.Kind == "" {
		in.Kind = KindConnector
	}
	t.touch()
	if _, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO integrations (`+integrationCols+`) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`),
		in.ID, in.OrgID, in.Slug, in.Name, in.Kind, 1, in.CreatedBy, at.UnixMilli(), at.UnixMilli()); err != nil {
		return Integration{}, fmt.Errorf("create integration %q: %w", in.Slug, mapErr(err))
	}
	if err := t.insertVersion(ctx, in.ID, 1, definition, in.CreatedBy, at); err != nil {
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
	err := s.readRow(ctx, `SELECT COUNT(*) FROM integrations WHERE org_id = ?`, orgID).Scan(&n)
	return n, err
}

// CountIntegrations counts an organization's integrations inside a
// transaction that is about to add one. On PostgreSQL it first locks the
// organization's row, so two nodes adding at once cannot both pass a plan
// limit; SQLite's single writer serializes them already.
func (t *Tx) CountIntegrations(ctx context.Context, orgID string) (int, error) {
	if t.s.engine == Postgres {
		if _, err := t.tx.ExecContext(ctx, t.s.q(`SELECT id FROM orgs WHERE id = ? FOR UPDATE`), orgID); err != nil {
			return 0, err
		}
	}
	var n int
	err := t.tx.QueryRowContext(ctx, t.s.q(`SELECT COUNT(*) FROM integrations WHERE org_id = ?`), orgID).Scan(&n)
	return n, err
}

// AddVersion stores definition as the next version in a transaction of
// its own.
func (s *Store) AddVersion(ctx context.Context, orgID, integrationID, name string, definition []byte, by string) (Integration, error) {
	return inTx(ctx, s, func(tx *Tx) (Integration, error) {
		return tx.AddVersion(ctx, orgID, integrationID, name, definition, by)
	})
}

// AddVersion stores definition as the next version (a new draft) and
// renames the integration; the deployed version is untouched.
func (t *Tx) AddVersion(ctx context.Context, orgID, integrationID, name string, definition []byte, by string) (Integration, error) {
	cur, err := scanIntegration(t.tx.QueryRowContext(ctx, t.s.q(`SELECT `+integrationCols+` FROM integrations WHERE org_id = ? AND id = ?`+t.s.forUpdate()), orgID, integrationID))
	if err != nil {
		return Integration{}, fmt.Errorf("update integration %s: %w", integrationID, err)
	}
	at := time.Now().UTC()
	next := cur.LatestVersion + 1
	if err := t.insertVersion(ctx, cur.ID, next, definition, by, at); err != nil {
		return Integration{}, fmt.Errorf("update integration %s: %w", integrationID, err)
	}
	t.touch()
	if _, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE integrations SET latest_version = ?, name = ?, updated_at = ? WHERE id = ?`), next, name, at.UnixMilli(), cur.ID); err != nil {
		return Integration{}, fmt.Errorf("update integration %s: %w", integrationID, mapErr(err))
	}
	cur.LatestVersion, cur.Name, cur.UpdatedAt = next, name, at
	return cur, nil
}

// Deploy marks version as the deployed one, in a transaction of its own.
func (s *Store) Deploy(ctx context.Context, orgID, integrationID string, version int) (Integration, error) {
	return inTx(ctx, s, func(tx *Tx) (Integration, error) { return tx.Deploy(ctx, orgID, integrationID, version) })
}

// Deploy marks version as the deployed one. Versions are immutable, so
// deploying freezes exactly what was tested.
func (t *Tx) Deploy(ctx context.Context, orgID, integrationID string, version int) (Integration, error) {
	at := now()
	t.touch()
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE integration_versions SET deployed_at = ? WHERE integration_id = ? AND version = ?`), at, integrationID, version)
	if err := affected(res, err); err != nil {
		return Integration{}, fmt.Errorf("deploy integration %s v%d: %w", integrationID, version, err)
	}
	res, err = t.tx.ExecContext(ctx, t.s.q(`UPDATE integrations SET deployed_version = ?, updated_at = ? WHERE org_id = ? AND id = ?`), version, at, orgID, integrationID)
	if err := affected(res, err); err != nil {
		return Integration{}, fmt.Errorf("deploy integration %s v%d: %w", integrationID, version, err)
	}
	return scanIntegration(t.tx.QueryRowContext(ctx, t.s.q(`SELECT `+integrationCols+` FROM integrations WHERE id = ?`), integrationID))
}

// DeleteIntegration removes an integration with its versions and
// connections, in a transaction of its own.
func (s *Store) DeleteIntegration(ctx context.Context, orgID, integrationID string) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.DeleteIntegration(ctx, orgID, integrationID) })
}

// DeleteIntegration removes an integration with its versions and connections.
func (t *Tx) DeleteIntegration(ctx context.Context, orgID, integrationID string) error {
	t.touch()
	res, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM integrations WHERE org_id = ? AND id = ?`), orgID, integrationID)
	return affected(res, err)
}

// GetVersion loads one version of an integration.
func (s *Store) GetVersion(ctx context.Context, integrationID string, version int) (Version, error) {
	var v Version
	var c int64
	var d sql.NullInt64
	var def string
	err := s.readRow(ctx, `SELECT integration_id, version, definition, created_by, created_at, deployed_at FROM integration_versions WHERE integration_id = ? AND version = ?`, integrationID, version).
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
	return queryAll(ctx, s.r, s.q(`SELECT integration_id, version, created_by, created_at, deployed_at FROM integration_versions WHERE integration_id = ? ORDER BY version DESC`),
		func(row rowScanner) (Version, error) {
			var v Version
			var c int64
			var d sql.NullInt64
			err := row.Scan(&v.IntegrationID, &v.Version, &v.CreatedBy, &c, &d)
			v.CreatedAt, v.DeployedAt = ms(c), nullMS(d)
			return v, err
		}, integrationID)
}

// forUpdate locks the selected row on PostgreSQL; SQLite's single writer
// already serializes the transaction.
func (s *Store) forUpdate() string {
	if s.engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}
