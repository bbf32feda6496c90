package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// Roles of organization members, from most to least powerful.
const (
	RoleOwner     = "owner"
	RoleAdmin     = "admin"
	RoleDeveloper = "developer"
	RoleViewer    = "viewer"
)

// Org is an organization: the owner of integrations, webhooks and agents.
type Org struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Plan        string    `json:"plan"`
	ProductName string    `json:"product_name,omitempty"`
	LogoURL     string    `json:"logo_url,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// User is a member of an organization.
type User struct {
	ID            string    `json:"id"`
	OrgID         string    `json:"org_id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	Role          string    `json:"role"`
	PlatformAdmin bool      `json:"platform_admin,omitempty"`
	PasswordHash  string    `json:"-"`
	CreatedAt     time.Time `json:"created_at"`
}

// APIKey is a user's key; only its hash is stored.
type APIKey struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"org_id"`
	UserID     string    `json:"user_id"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// Principal is who a request acts as: a user of an organization.
type Principal struct {
	Org   Org
	User  User
	KeyID string
}

// CountOrgs reports how many organizations exist (0 on first start).
func (s *Store) CountOrgs(ctx context.Context) (int, error) {
	var n int
	err := s.readRow(ctx, `SELECT COUNT(*) FROM orgs`).Scan(&n)
	return n, err
}

// CreateOrg creates an organization with its owner and the owner's first
// API key (given by hash), atomically.
func (s *Store) CreateOrg(ctx context.Context, org Org, owner User, keyName, keyPrefix, keyHash string) (Org, User, error) {
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		org, owner, err = tx.CreateOrg(ctx, org, owner, keyName, keyPrefix, keyHash)
		return err
	})
	return org, owner, err
}

// CreateOrg creates an organization with its owner and, when keyHash is
// set, the owner's first API key.
func (t *Tx) CreateOrg(ctx context.Context, org Org, owner User, keyName, keyPrefix, keyHash string) (Org, User, error) {
	org.ID = id.New("org")
	org.CreatedAt = time.Now().UTC()
	if org.Plan == "" {
		org.Plan = "free"
	}
	owner.ID = id.New("usr")
	owner.OrgID = org.ID
	owner.CreatedAt = org.CreatedAt
	if owner.Role == "" {
		owner.Role = RoleOwner
	}
	t.touch()
	if _, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO orgs (id, name, plan, created_at) VALUES (?, ?, ?, ?)`),
		org.ID, org.Name, org.Plan, org.CreatedAt.UnixMilli()); err != nil {
		return Org{}, User{}, fmt.Errorf("create org: %w", mapErr(err))
	}
	if err := t.insertUser(ctx, owner); err != nil {
		return Org{}, User{}, fmt.Errorf("create org: %w", err)
	}
	if keyHash != "" {
		if _, err := t.CreateAPIKey(ctx, owner, keyName, keyPrefix, keyHash); err != nil {
			return Org{}, User{}, fmt.Errorf("create org: %w", err)
		}
	}
	return org, owner, nil
}

func (t *Tx) insertUser(ctx context.Context, u User) error {
	t.touch()
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO users (id, org_id, email, name, role, password_hash, platform_admin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		u.ID, u.OrgID, u.Email, u.Name, u.Role, u.PasswordHash, boolInt(u.PlatformAdmin), u.CreatedAt.UnixMilli())
	return mapErr(err)
}

// CreateUser adds a member to an organization.
func (s *Store) CreateUser(ctx context.Context, u User) (User, error) {
	return inTx(ctx, s, func(tx *Tx) (User, error) { return tx.CreateUser(ctx, u) })
}

// CreateUser adds a member to an organization; an email already used is
// ErrConflict.
func (t *Tx) CreateUser(ctx context.Context, u User) (User, error) {
	u.ID = id.New("usr")
	u.CreatedAt = time.Now().UTC()
	if err := t.insertUser(ctx, u); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// CreateAPIKey stores a new key for u inside the transaction.
func (t *Tx) CreateAPIKey(ctx context.Context, u User, name, prefix, hash string) (APIKey, error) {
	t.touch()
	k := APIKey{ID: id.New("key"), OrgID: u.OrgID, UserID: u.ID, Name: name, Prefix: prefix, CreatedAt: time.Now().UTC()}
	_, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO api_keys (id, org_id, user_id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		k.ID, k.OrgID, k.UserID, k.Name, k.Prefix, hash, k.CreatedAt.UnixMilli())
	return k, mapErr(err)
}

// CreateAPIKey stores a new key for u.
func (s *Store) CreateAPIKey(ctx context.Context, u User, name, prefix, hash string) (APIKey, error) {
	return inTx(ctx, s, func(tx *Tx) (APIKey, error) { return tx.CreateAPIKey(ctx, u, name, prefix, hash) })
}

const principalCols = `o.id, o.name, o.plan, o.product_name, o.logo_url, o.created_at,
	u.id, u.org_id, u.email, u.name, u.role, u.platform_admin, u.password_hash, u.created_at`

func scanPrincipal(row interface{ Scan(...any) error }, extra ...any) (Principal, error) {
	var p Principal
	var oc, uc int64
	var admin int
	dest := append([]any{&p.Org.ID, &p.Org.Name, &p.Org.Plan, &p.Org.ProductName, &p.Org.LogoURL, &oc,
		&p.User.ID, &p.User.OrgID, &p.User.Email, &p.User.Name, &p.User.Role, &admin, &p.User.PasswordHash, &uc}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Principal{}, mapErr(err)
	}
	p.Org.CreatedAt, p.User.CreatedAt, p.User.PlatformAdmin = ms(oc), ms(uc), admin == 1
	return p, nil
}

// PrincipalByKeyHash resolves an API key (by hash) to its user and org.
// Revoked keys are not found.
func (s *Store) PrincipalByKeyHash(ctx context.Context, hash string) (Principal, error) {
	gen, memoized := s.memoGen()
	if memoized {
		if p, ok := s.memos.principals.get(hash, gen); ok {
			return p, nil
		}
	}
	row := s.readRow(ctx, `SELECT `+principalCols+`, k.id FROM api_keys k
		JOIN users u ON u.id = k.user_id JOIN orgs o ON o.id = k.org_id
		WHERE k.hash = ? AND k.revoked_at IS NULL`, hash)
	var keyID string
	p, err := scanPrincipal(row, &keyID)
	p.KeyID = keyID
	if err == nil && memoized {
		s.memos.principals.put(hash, gen, p)
	}
	return p, err
}

// PrincipalByUserID loads a user with its organization. Trigger runs and
// agents acting for a member read it on every call, so it is memoized
// like the key lookup.
func (s *Store) PrincipalByUserID(ctx context.Context, userID string) (Principal, error) {
	gen, memoized := s.memoGen()
	if memoized {
		if p, ok := s.memos.users.get(userID, gen); ok {
			return p, nil
		}
	}
	p, err := scanPrincipal(s.readRow(ctx, `SELECT `+principalCols+` FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?`, userID))
	if err == nil && memoized {
		s.memos.users.put(userID, gen, p)
	}
	return p, err
}

// PrincipalByEmail loads a user by email, for sign-in.
func (s *Store) PrincipalByEmail(ctx context.Context, email string) (Principal, error) {
	return scanPrincipal(s.readRow(ctx, `SELECT `+principalCols+` FROM users u JOIN orgs o ON o.id = u.org_id WHERE lower(u.email) = lower(?)`, email))
}

// GetOrg loads an organization. Agents' calls read it every time, so it is
// memoized like the key lookup.
func (s *Store) GetOrg(ctx context.Context, orgID string) (Org, error) {
	gen, memoized := s.memoGen()
	if memoized {
		if o, ok := s.memos.orgs.get(orgID, gen); ok {
			return o, nil
		}
	}
	var o Org
	var c int64
	err := s.readRow(ctx, `SELECT id, name, plan, product_name, logo_url, created_at FROM orgs WHERE id = ?`, orgID).
		Scan(&o.ID, &o.Name, &o.Plan, &o.ProductName, &o.LogoURL, &c)
	o.CreatedAt = ms(c)
	if err == nil && memoized {
		s.memos.orgs.put(orgID, gen, o)
	}
	return o, mapErr(err)
}

// UpdateOrg saves an organization's name, plan and branding.
func (t *Tx) UpdateOrg(ctx context.Context, o Org) error {
	t.touch()
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE orgs SET name = ?, plan = ?, product_name = ?, logo_url = ? WHERE id = ?`),
		o.Name, o.Plan, o.ProductName, o.LogoURL, o.ID)
	return affected(res, err)
}

func scanUser(row rowScanner) (User, error) {
	var u User
	var c int64
	var admin int
	err := row.Scan(&u.ID, &u.OrgID, &u.Email, &u.Name, &u.Role, &admin, &u.PasswordHash, &c)
	u.CreatedAt, u.PlatformAdmin = ms(c), admin == 1
	return u, err
}

// ListUsers lists an organization's members.
func (s *Store) ListUsers(ctx context.Context, orgID string) ([]User, error) {
	return queryAll(ctx, s.r, s.q(`SELECT id, org_id, email, name, role, platform_admin, password_hash, created_at FROM users WHERE org_id = ? ORDER BY created_at`), scanUser, orgID)
}

func scanAPIKey(row rowScanner) (APIKey, error) {
	var k APIKey
	var c int64
	var used, revoked sql.NullInt64
	err := row.Scan(&k.ID, &k.OrgID, &k.UserID, &k.Name, &k.Prefix, &c, &used, &revoked)
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = ms(c), nullMS(used), nullMS(revoked)
	return k, err
}

// ListAPIKeys lists a user's keys (never their hashes).
func (s *Store) ListAPIKeys(ctx context.Context, orgID, userID string) ([]APIKey, error) {
	return queryAll(ctx, s.r, s.q(`SELECT id, org_id, user_id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE org_id = ? AND user_id = ? ORDER BY created_at`), scanAPIKey, orgID, userID)
}

// RevokeAPIKey revokes one of a user's keys.
func (s *Store) RevokeAPIKey(ctx context.Context, orgID, userID, keyID string) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.RevokeAPIKey(ctx, orgID, userID, keyID) })
}

// RevokeAPIKey revokes one of a user's keys; it stops working at once.
func (t *Tx) RevokeAPIKey(ctx context.Context, orgID, userID, keyID string) error {
	t.touch()
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND org_id = ? AND user_id = ? AND revoked_at IS NULL`), now(), keyID, orgID, userID)
	return affected(res, err)
}

func affected(res sql.Result, err error) error {
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateFirstOrg creates the first organization when none exists yet and
// reports whether it did. Several nodes may start at once on PostgreSQL;
// an advisory lock lets exactly one of them create it.
func (s *Store) CreateFirstOrg(ctx context.Context, org Org, owner User, keyName, keyPrefix, keyHash string) (bool, error) {
	created := false
	err := s.InTx(ctx, func(tx *Tx) error {
		if s.engine == Postgres {
			if _, err := tx.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockFirstOrg); err != nil {
				return err
			}
		}
		var n int
		if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orgs`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		owner.Role = RoleOwner
		if _, _, err := tx.CreateOrg(ctx, org, owner, keyName, keyPrefix, keyHash); err != nil {
			return err
		}
		created = true
		return nil
	})
	return created, err
}
