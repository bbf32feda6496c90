package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// Purposes of sign-in links.
const (
	LinkFirstSignIn = "first"  // the owner of the first organization
	LinkInvite      = "invite" // a member invited by an owner or admin
)

// SigninLink is a single-use, expiring link that lets a member set a
// password. Only the hash of its token is stored.
type SigninLink struct {
	ID        string
	TokenHash string
	UserID    string
	OrgID     string
	Purpose   string
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// CreateSigninLink stores a link for a member.
func (t *Tx) CreateSigninLink(ctx context.Context, l SigninLink) (SigninLink, error) {
	l.ID = id.New("lnk")
	l.CreatedAt = time.Now().UTC()
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO signin_links (id, token_hash, user_id, org_id, purpose, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		l.ID, l.TokenHash, l.UserID, l.OrgID, l.Purpose, l.CreatedBy, l.CreatedAt.UnixMilli(), l.ExpiresAt.UnixMilli())
	if err != nil {
		return SigninLink{}, fmt.Errorf("create sign-in link: %w", mapErr(err))
	}
	return l, nil
}

// SigninLinkByTokenHash loads a link that is unused and unexpired at now,
// with the member it belongs to; any other link is ErrNotFound.
func (s *Store) SigninLinkByTokenHash(ctx context.Context, hash string, now time.Time) (SigninLink, Principal, error) {
	return scanLink(s.readRow(ctx, linkQuery, hash, now.UnixMilli()))
}

const linkQuery = `SELECT ` + principalCols + `, l.id, l.token_hash, l.user_id, l.org_id, l.purpose, l.created_by, l.created_at, l.expires_at
	FROM signin_links l JOIN users u ON u.id = l.user_id JOIN orgs o ON o.id = l.org_id
	WHERE l.token_hash = ? AND l.used_at IS NULL AND l.expires_at > ?`

func scanLink(row interface{ Scan(...any) error }) (SigninLink, Principal, error) {
	var l SigninLink
	var c, exp int64
	p, err := scanPrincipal(row, &l.ID, &l.TokenHash, &l.UserID, &l.OrgID, &l.Purpose, &l.CreatedBy, &c, &exp)
	if err != nil {
		return SigninLink{}, Principal{}, err
	}
	l.CreatedAt, l.ExpiresAt = ms(c), ms(exp)
	return l, p, nil
}

// PasswordChange is what redeeming a sign-in link sets on the member.
// Empty Email and Name keep the current ones.
type PasswordChange struct {
	Email        string
	Name         string
	PasswordHash string
}

// RedeemSigninLink uses a link once: within the transaction it checks the link
// is still unused and unexpired, marks it used, sets the member's password
// (and email and name when given) and ends the member's other sessions.
// A link already used, expired or unknown is ErrNotFound; an email taken
// by another member is ErrConflict.
func (t *Tx) RedeemSigninLink(ctx context.Context, hash string, now time.Time, ch PasswordChange) (SigninLink, Principal, error) {
	l, p, err := scanLink(t.tx.QueryRowContext(ctx, t.s.q(linkQuery+t.s.forUpdateOf("l")), hash, now.UnixMilli()))
	if err != nil {
		return SigninLink{}, Principal{}, fmt.Errorf("redeem sign-in link: %w", err)
	}
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE signin_links SET used_at = ? WHERE id = ? AND used_at IS NULL`), now.UnixMilli(), l.ID)
	if err := affected(res, err); err != nil {
		return SigninLink{}, Principal{}, fmt.Errorf("redeem sign-in link: %w", err)
	}
	email, name := p.User.Email, p.User.Name
	if e := strings.TrimSpace(ch.Email); e != "" {
		email = e
	}
	if n := strings.TrimSpace(ch.Name); n != "" {
		name = n
	}
	t.touch()
	if _, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE users SET email = ?, name = ?, password_hash = ? WHERE id = ?`), email, name, ch.PasswordHash, p.User.ID); err != nil {
		return SigninLink{}, Principal{}, fmt.Errorf("redeem sign-in link: %w", mapErr(err))
	}
	if _, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM sessions WHERE user_id = ?`), p.User.ID); err != nil {
		return SigninLink{}, Principal{}, fmt.Errorf("redeem sign-in link: %w", mapErr(err))
	}
	p.User.Email, p.User.Name, p.User.PasswordHash = email, name, ch.PasswordHash
	return l, p, nil
}

// forUpdateOf locks rows of one table of a join on PostgreSQL.
func (s *Store) forUpdateOf(table string) string {
	if s.engine == Postgres {
		return " FOR UPDATE OF " + table
	}
	return ""
}
