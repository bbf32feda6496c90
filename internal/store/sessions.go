package store

import (
	"context"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// Session is a signed-in dashboard visitor. The cookie holds a random
// token; the store keeps only its hash, so a database leak signs no one in.
type Session struct {
	ID         string
	TokenHash  string
	UserID     string
	OrgID      string
	CSRFToken  string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreateSession stores a new session for a user.
func (t *Tx) CreateSession(ctx context.Context, sess Session) (Session, error) {
	sess.ID = id.New("ses")
	at := time.Now().UTC()
	sess.CreatedAt, sess.LastSeenAt = at, at
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO sessions (id, token_hash, user_id, org_id, csrf_token, user_agent, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		sess.ID, sess.TokenHash, sess.UserID, sess.OrgID, sess.CSRFToken, sess.UserAgent, at.UnixMilli(), at.UnixMilli(), sess.ExpiresAt.UnixMilli())
	if err != nil {
		return Session{}, fmt.Errorf("create session: %w", mapErr(err))
	}
	return sess, nil
}

// SessionByTokenHash loads a session with the principal it signs in. It
// does not judge expiry: the caller applies its absolute and idle limits.
func (s *Store) SessionByTokenHash(ctx context.Context, hash string) (Session, Principal, error) {
	row := s.readRow(ctx, `SELECT `+principalCols+`, s.id, s.token_hash, s.user_id, s.org_id, s.csrf_token, s.user_agent, s.created_at, s.last_seen_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = s.org_id WHERE s.token_hash = ?`, hash)
	var sess Session
	var c, seen, exp int64
	p, err := scanPrincipal(row, &sess.ID, &sess.TokenHash, &sess.UserID, &sess.OrgID, &sess.CSRFToken, &sess.UserAgent, &c, &seen, &exp)
	if err != nil {
		return Session{}, Principal{}, err
	}
	sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = ms(c), ms(seen), ms(exp)
	return sess, p, nil
}

// TouchSession records activity, which pushes back the idle timeout.
func (s *Store) TouchSession(ctx context.Context, sessionID string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE sessions SET last_seen_at = ? WHERE id = ?`), at.UnixMilli(), sessionID)
	return affected(res, err)
}

// DeleteSession ends one session (expiry).
func (s *Store) DeleteSession(ctx context.Context, sessionID string) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.DeleteSession(ctx, sessionID) })
}

// DeleteSession ends one session (sign-out, expiry).
func (t *Tx) DeleteSession(ctx context.Context, sessionID string) error {
	_, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM sessions WHERE id = ?`), sessionID)
	return mapErr(err)
}

// DeleteExpiredSessions removes sessions past their absolute expiry or
// idle since before idleBefore, and reports how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?`), now.UnixMilli(), idleBefore.UnixMilli())
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}
