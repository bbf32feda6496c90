package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// ErrUsed is the answer to a single-use secret presented again: an
// authorization code already exchanged, a refresh token already rotated.
var ErrUsed = errors.New("already used")

// AppCode is an authorization code a person's consent issued to a client.
// Only its hash is stored.
type AppCode struct {
	Hash          string
	ClientID      string
	RedirectURI   string
	CodeChallenge string // S256 of the client's PKCE verifier
	Resource      string // the resource indicator (RFC 8707) it was asked for
	Scope         string
	OrgID         string
	AgentID       string
	UserID        string
	FamilyID      string // the tokens it was exchanged for
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        time.Time
}

const appCodeCols = `hash, client_id, redirect_uri, code_challenge, resource, scope, org_id, agent_id, user_id, family_id, created_at, expires_at, used_at`

func scanAppCode(row rowScanner) (AppCode, error) {
	var c AppCode
	var created, expires int64
	var used sql.NullInt64
	if err := row.Scan(&c.Hash, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &c.Resource, &c.Scope, &c.OrgID, &c.AgentID, &c.UserID, &c.FamilyID, &created, &expires, &used); err != nil {
		return AppCode{}, mapErr(err)
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = ms(created), ms(expires), nullMS(used)
	return c, nil
}

// CreateAppCode stores an authorization code.
func (t *Tx) CreateAppCode(ctx context.Context, c AppCode) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO app_codes (`+appCodeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`),
		c.Hash, c.ClientID, c.RedirectURI, c.CodeChallenge, c.Resource, c.Scope, c.OrgID, c.AgentID, c.UserID, "", time.Now().UnixMilli(), c.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store authorization code: %w", mapErr(err))
	}
	return nil
}

// UseAppCode claims an authorization code at at. A code used before is
// returned with ErrUsed (its FamilyID says which tokens it gave); an
// unknown one is ErrNotFound. Of two concurrent claims one wins.
func (t *Tx) UseAppCode(ctx context.Context, hash string, at time.Time) (AppCode, error) {
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE app_codes SET used_at = ? WHERE hash = ? AND used_at IS NULL`), at.UnixMilli(), hash)
	claimErr := affected(res, err)
	if claimErr != nil && !errors.Is(claimErr, ErrNotFound) {
		return AppCode{}, claimErr
	}
	c, err := scanAppCode(t.tx.QueryRowContext(ctx, t.s.q(`SELECT `+appCodeCols+` FROM app_codes WHERE hash = ?`), hash))
	if err != nil {
		return AppCode{}, err
	}
	if claimErr != nil {
		return c, ErrUsed
	}
	return c, nil
}

// SetAppCodeFamily records the token family a code was exchanged for.
func (t *Tx) SetAppCodeFamily(ctx context.Context, hash, familyID string) error {
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE app_codes SET family_id = ? WHERE hash = ?`), familyID, hash)
	return affected(res, err)
}

// AppFamily is the lineage of tokens one authorization code started.
type AppFamily struct {
	ID            string
	OrgID         string
	AgentID       string
	ClientID      string
	UserID        string
	Resource      string // the audience of its tokens
	Scope         string
	CreatedAt     time.Time
	RevokedAt     time.Time
	RevokedReason string
}

// Token kinds.
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// AppToken is an access or refresh token of a family. Only its hash is
// stored.
type AppToken struct {
	Hash      string
	FamilyID  string
	Kind      string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // a refresh token's rotation
	RevokedAt time.Time
}

// CreateAppFamily starts a token family.
func (t *Tx) CreateAppFamily(ctx context.Context, f AppFamily) (AppFamily, error) {
	f.ID = id.New("tfm")
	f.CreatedAt = time.Now().UTC()
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO app_token_families (id, org_id, agent_id, client_id, user_id, resource, scope, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		f.ID, f.OrgID, f.AgentID, f.ClientID, f.UserID, f.Resource, f.Scope, f.CreatedAt.UnixMilli())
	if err != nil {
		return AppFamily{}, fmt.Errorf("start token family: %w", mapErr(err))
	}
	return f, nil
}

// AddAppToken stores a token of a family.
func (t *Tx) AddAppToken(ctx context.Context, tok AppToken) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO app_tokens (hash, family_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`),
		tok.Hash, tok.FamilyID, tok.Kind, time.Now().UnixMilli(), tok.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store token: %w", mapErr(err))
	}
	return nil
}

const appTokenCols = `t.hash, t.family_id, t.kind, t.created_at, t.expires_at, t.used_at, t.revoked_at,
	f.id, f.org_id, f.agent_id, f.client_id, f.user_id, f.resource, f.scope, f.created_at, f.revoked_at, f.revoked_reason`

func scanAppToken(row rowScanner) (AppToken, AppFamily, error) {
	var tok AppToken
	var f AppFamily
	var tc, te, fc int64
	var tu, tr, fr sql.NullInt64
	if err := row.Scan(&tok.Hash, &tok.FamilyID, &tok.Kind, &tc, &te, &tu, &tr,
		&f.ID, &f.OrgID, &f.AgentID, &f.ClientID, &f.UserID, &f.Resource, &f.Scope, &fc, &fr, &f.RevokedReason); err != nil {
		return AppToken{}, AppFamily{}, mapErr(err)
	}
	tok.CreatedAt, tok.ExpiresAt, tok.UsedAt, tok.RevokedAt = ms(tc), ms(te), nullMS(tu), nullMS(tr)
	f.CreatedAt, f.RevokedAt = ms(fc), nullMS(fr)
	return tok, f, nil
}

const appTokenFrom = ` FROM app_tokens t JOIN app_token_families f ON f.id = t.family_id WHERE t.hash = ?`

// AppTokenByHash loads a token with its family; it reads the database
// every time, so a revocation holds from the next request.
func (s *Store) AppTokenByHash(ctx context.Context, hash string) (AppToken, AppFamily, error) {
	return scanAppToken(s.readRow(ctx, `SELECT `+appTokenCols+appTokenFrom, hash))
}

// AppTokenByHash loads a token with its family inside the transaction.
func (t *Tx) AppTokenByHash(ctx context.Context, hash string) (AppToken, AppFamily, error) {
	return scanAppToken(t.tx.QueryRowContext(ctx, t.s.q(`SELECT `+appTokenCols+appTokenFrom), hash))
}

// UseAppRefresh claims a refresh token for its rotation at at; one
// rotated before is ErrUsed. Of two concurrent claims one wins.
func (t *Tx) UseAppRefresh(ctx context.Context, hash string, at time.Time) error {
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE app_tokens SET used_at = ? WHERE hash = ? AND kind = 'refresh' AND used_at IS NULL`), at.UnixMilli(), hash)
	if err := affected(res, err); errors.Is(err, ErrNotFound) {
		return ErrUsed
	} else if err != nil {
		return err
	}
	return nil
}

// RevokeAppToken revokes one token (RFC 7009 on an access token).
func (t *Tx) RevokeAppToken(ctx context.Context, hash string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE app_tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL`), at.UnixMilli(), hash)
	return mapErr(err)
}

// RevokeAppFamily revokes every token of a family, for reason.
func (t *Tx) RevokeAppFamily(ctx context.Context, familyID, reason string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE app_token_families SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL`), at.UnixMilli(), reason, familyID)
	return mapErr(err)
}

// RevokeAppFamiliesOf revokes every token family of a connected app.
func (t *Tx) RevokeAppFamiliesOf(ctx context.Context, agentID, reason string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE app_token_families SET revoked_at = ?, revoked_reason = ? WHERE agent_id = ? AND revoked_at IS NULL`), at.UnixMilli(), reason, agentID)
	return mapErr(err)
}

// PurgeApp deletes authorization codes and tokens that expired before
// before, and families left without tokens; it reports how many rows went.
// A rotated refresh token is kept until it expires, so that its reuse is
// recognized until then.
func (s *Store) PurgeApp(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM app_codes WHERE expires_at < ?`,
		`DELETE FROM app_tokens WHERE expires_at < ?`,
		`DELETE FROM app_token_families WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM app_tokens t WHERE t.family_id = app_token_families.id)`,
	} {
		res, err := s.w.ExecContext(ctx, s.q(q), before.UnixMilli())
		if err != nil {
			return total, mapErr(err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}
