package store

import (
	"context"
	"fmt"
	"time"
)

// OAuthState is one OAuth 2.0 authorization request waiting for the
// provider's callback. It is bound to the connection being authorized and
// to the user who started the flow.
type OAuthState struct {
	ID           string // SHA-256 of the state sent to the provider
	OrgID        string
	ConnectionID string
	UserID       string
	Verifier     string // PKCE verifier, sealed by the vault bound to ID; "" without PKCE
	RedirectURI  string
	ExpiresAt    time.Time
	CreatedAt    time.Time
}

// CreateOAuthState stores st and purges states that have expired, so
// abandoned flows do not pile up.
func (s *Store) CreateOAuthState(ctx context.Context, st OAuthState) error {
	t := time.Now()
	if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM oauth_states WHERE expires_at < ?`), t.UnixMilli()); err != nil {
		return fmt.Errorf("purge expired oauth states: %w", err)
	}
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO oauth_states (id, org_id, connection_id, user_id, verifier, redirect_uri, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		st.ID, st.OrgID, st.ConnectionID, st.UserID, st.Verifier, st.RedirectURI, st.ExpiresAt.UnixMilli(), t.UnixMilli())
	if err != nil {
		return fmt.Errorf("create oauth state: %w", mapErr(err))
	}
	return nil
}

// ConsumeOAuthState deletes the state with id and returns it; a second
// call for the same id finds nothing (ErrNotFound). Checking ExpiresAt is
// the caller's job, so that it can tell expired from unknown.
func (s *Store) ConsumeOAuthState(ctx context.Context, id string) (OAuthState, error) {
	var st OAuthState
	var exp, created int64
	err := s.w.QueryRowContext(ctx, s.q(`DELETE FROM oauth_states WHERE id = ?
		RETURNING id, org_id, connection_id, user_id, verifier, redirect_uri, expires_at, created_at`), id).
		Scan(&st.ID, &st.OrgID, &st.ConnectionID, &st.UserID, &st.Verifier, &st.RedirectURI, &exp, &created)
	if err != nil {
		return OAuthState{}, mapErr(err)
	}
	st.ExpiresAt, st.CreatedAt = ms(exp), ms(created)
	return st, nil
}

// TokenUpdate is what a token refresh writes back to its connection.
type TokenUpdate struct {
	Secret string // the new sealed credentials
	Expiry time.Time
	Status string
	Reason string
}

// LockConnection calls fn with the current row of connection connID while
// no other node can do the same for that connection, and saves the update
// fn returns (nil: nothing to save) in the same step, so a rotated refresh
// token is stored together with its access token.
//
// On PostgreSQL the row stays locked (SELECT … FOR UPDATE) in a transaction
// around fn, so nodes sharing the database take turns and each sees what
// the previous one wrote. SQLite is owned by one process: there callers must
// already take turns per connection in process (the auth package uses a
// single flight), and the row is read fresh before fn and written in a
// transaction after it, without holding the single writer during fn's
// network call.
func (s *Store) LockConnection(ctx context.Context, connID string, fn func(Connection) (*TokenUpdate, error)) error {
	if s.engine == Postgres {
		return s.InTx(ctx, func(tx *Tx) error {
			c, err := scanConnection(tx.tx.QueryRowContext(ctx, s.q(`SELECT `+connectionCols+` FROM connections WHERE id = ? FOR UPDATE`), connID))
			if err != nil {
				return err
			}
			u, err := fn(c)
			if err != nil || u == nil {
				return err
			}
			return tx.updateToken(ctx, connID, *u)
		})
	}
	c, err := scanConnection(s.w.QueryRowContext(ctx, s.q(`SELECT `+connectionCols+` FROM connections WHERE id = ?`), connID))
	if err != nil {
		return err
	}
	u, err := fn(c)
	if err != nil || u == nil {
		return err
	}
	return s.InTx(ctx, func(tx *Tx) error { return tx.updateToken(ctx, connID, *u) })
}

func (t *Tx) updateToken(ctx context.Context, connID string, u TokenUpdate) error {
	t.touch()
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE connections SET secret = ?, token_expiry = ?, status = ?, status_reason = ?, updated_at = ? WHERE id = ?`),
		u.Secret, toNullMS(u.Expiry), u.Status, u.Reason, now(), connID)
	return affected(res, err)
}
