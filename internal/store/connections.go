package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// Connection statuses.
const (
	ConnActive      = "active"
	ConnPending     = "pending"      // OAuth 2.0 flow not finished yet
	ConnNeedsReauth = "needs_reauth" // the provider refused the refresh token
)

// Connection holds the sealed credentials of one integration environment,
// shared by the organization (UserID "") or owned by one user.
type Connection struct {
	ID            string    `json:"id"`
	OrgID         string    `json:"org_id"`
	IntegrationID string    `json:"integration_id"`
	Environment   string    `json:"environment"`
	UserID        string    `json:"user_id,omitempty"`
	Name          string    `json:"name,omitempty"`
	BaseURL       string    `json:"base_url,omitempty"`
	Status        string    `json:"status"`
	StatusReason  string    `json:"status_reason,omitempty"`
	Secret        string    `json:"-"` // sealed by the vault, bound to ID
	TokenExpiry   time.Time `json:"token_expiry,omitzero"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

const connectionCols = `id, org_id, integration_id, environment, user_id, name, base_url, status, status_reason, secret, token_expiry, created_at, updated_at`

func scanConnection(row interface{ Scan(...any) error }) (Connection, error) {
	var c Connection
	var exp sql.NullInt64
	var ca, ua int64
	if err := row.Scan(&c.ID, &c.OrgID, &c.IntegrationID, &c.Environment, &c.UserID, &c.Name, &c.BaseURL, &c.Status, &c.StatusReason, &c.Secret, &exp, &ca, &ua); err != nil {
		return Connection{}, mapErr(err)
	}
	c.TokenExpiry, c.CreatedAt, c.UpdatedAt = nullMS(exp), ms(ca), ms(ua)
	return c, nil
}

// NewConnectionID returns an id for a connection about to be created; the
// vault binds the sealed secret to it.
func NewConnectionID() string { return id.New("con") }

// CreateConnection stores c in a transaction of its own.
func (s *Store) CreateConnection(ctx context.Context, c Connection) (Connection, error) {
	return inTx(ctx, s, func(tx *Tx) (Connection, error) { return tx.CreateConnection(ctx, c) })
}

// CreateConnection stores c (ID from NewConnectionID). A second connection
// for the same environment and owner is ErrConflict.
func (t *Tx) CreateConnection(ctx context.Context, c Connection) (Connection, error) {
	at := time.Now().UTC()
	c.CreatedAt, c.UpdatedAt = at, at
	if c.Status == "" {
		c.Status = ConnActive
	}
	t.touch()
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO connections (`+connectionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		c.ID, c.OrgID, c.IntegrationID, c.Environment, c.UserID, c.Name, c.BaseURL, c.Status, c.StatusReason, c.Secret, toNullMS(c.TokenExpiry), at.UnixMilli(), at.UnixMilli())
	if err != nil {
		return Connection{}, fmt.Errorf("create connection: %w", mapErr(err))
	}
	return c, nil
}

// GetConnection loads a connection of an organization's integration.
func (s *Store) GetConnection(ctx context.Context, orgID, integrationID, connID string) (Connection, error) {
	return scanConnection(s.readRow(ctx, `SELECT `+connectionCols+` FROM connections WHERE org_id = ? AND integration_id = ? AND id = ?`, orgID, integrationID, connID))
}

// GetConnectionByID loads a connection by id alone (OAuth callbacks, jobs).
func (s *Store) GetConnectionByID(ctx context.Context, connID string) (Connection, error) {
	return scanConnection(s.readRow(ctx, `SELECT `+connectionCols+` FROM connections WHERE id = ?`, connID))
}

// ResolveConnection picks the connection a call by userID uses in env: the
// user's own when it exists, else the organization's shared one. It never
// returns another user's connection.
func (s *Store) ResolveConnection(ctx context.Context, orgID, integrationID, env, userID string) (Connection, error) {
	gen, memoized := s.memoGen()
	key := connKey{orgID, integrationID, env, userID}
	if memoized {
		if c, ok := s.memos.connections.get(key, gen); ok {
			return c, nil
		}
	}
	c, err := scanConnection(s.readRow(ctx, `SELECT `+connectionCols+` FROM connections
		WHERE org_id = ? AND integration_id = ? AND environment = ? AND (user_id = '' OR user_id = ?)
		ORDER BY CASE WHEN user_id = '' THEN 1 ELSE 0 END LIMIT 1`, orgID, integrationID, env, userID))
	if err == nil && memoized {
		s.memos.connections.put(key, gen, c)
	}
	return c, err
}

// ListConnections lists the connections of an integration that userID may
// see: the shared ones and the user's own (all of them when userID is "*").
func (s *Store) ListConnections(ctx context.Context, orgID, integrationID, userID string) ([]Connection, error) {
	return queryAll(ctx, s.r, s.q(`SELECT `+connectionCols+` FROM connections
		WHERE org_id = ? AND integration_id = ? AND (user_id = '' OR user_id = ? OR ? = '*') ORDER BY created_at`), scanConnection, orgID, integrationID, userID, userID)
}

// UpdateConnectionSecret replaces the sealed credentials, expiry and status.
func (s *Store) UpdateConnectionSecret(ctx context.Context, connID, secret string, expiry time.Time, status, reason string) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE connections SET secret = ?, token_expiry = ?, status = ?, status_reason = ?, updated_at = ? WHERE id = ?`),
		secret, toNullMS(expiry), status, reason, now(), connID)
	s.bump()
	return affected(res, err)
}

// UpdateConnection saves every field of c that may change: the sealed
// credentials, the token expiry, the status and its reason, the name and
// the base URL override.
func (t *Tx) UpdateConnection(ctx context.Context, c Connection) error {
	t.touch()
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE connections SET secret = ?, token_expiry = ?, status = ?, status_reason = ?, name = ?, base_url = ?, updated_at = ? WHERE id = ? AND org_id = ?`),
		c.Secret, toNullMS(c.TokenExpiry), c.Status, c.StatusReason, c.Name, c.BaseURL, now(), c.ID, c.OrgID)
	return affected(res, err)
}

// SetConnectionStatus records a status change such as needs_reauth.
func (s *Store) SetConnectionStatus(ctx context.Context, connID, status, reason string) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE connections SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?`), status, reason, now(), connID)
	s.bump()
	return affected(res, err)
}

// DeleteConnection removes a connection in a transaction of its own.
func (s *Store) DeleteConnection(ctx context.Context, orgID, connID string) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.DeleteConnection(ctx, orgID, connID) })
}

// DeleteConnection removes a connection and its sealed secret.
func (t *Tx) DeleteConnection(ctx context.Context, orgID, connID string) error {
	t.touch()
	res, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM connections WHERE org_id = ? AND id = ?`), orgID, connID)
	return affected(res, err)
}

// ResealFunc re-encrypts one sealed value bound to rowID; changed reports
// whether it wrote something new.
type ResealFunc func(rowID, sealed string) (resealed string, changed bool, err error)

// ResealSecrets rewrites every sealed secret the store holds with fn, in
// one transaction, and reports how many changed.
func (s *Store) ResealSecrets(ctx context.Context, fn ResealFunc) (int, error) {
	changed := 0
	err := s.InTx(ctx, func(tx *Tx) error {
		for _, table := range sealedTables {
			rows, err := tx.tx.QueryContext(ctx, `SELECT id, `+table.column+` FROM `+table.name+` WHERE `+table.column+` <> ''`)
			if err != nil {
				return fmt.Errorf("%s: %w", table.name, err)
			}
			type pair struct{ id, sealed string }
			var all []pair
			for rows.Next() {
				var p pair
				if err := rows.Scan(&p.id, &p.sealed); err != nil {
					rows.Close()
					return err
				}
				all = append(all, p)
			}
			rows.Close()
			for _, p := range all {
				out, ok, err := fn(p.id, p.sealed)
				if err != nil {
					return fmt.Errorf("%s %s: %w", table.name, p.id, err)
				}
				if !ok {
					continue
				}
				tx.touch()
				if _, err := tx.tx.ExecContext(ctx, s.q(`UPDATE `+table.name+` SET `+table.column+` = ? WHERE id = ?`), out, p.id); err != nil {
					return err
				}
				changed++
			}
		}
		return nil
	})
	return changed, err
}

// sealedTables lists every column holding vault-sealed data; a table that
// adds one registers it here so key rotation reaches it.
var sealedTables = []struct{ name, column string }{
	{"connections", "secret"},
	{"webhooks", "secret"},
	{"webhooks", "previous_secret"},
	{"oauth_states", "verifier"},
	{"vault_canary", "sealed"},
	{"approval_settings", "notify_secret"},
}
