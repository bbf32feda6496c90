// Package account is how members sign in to the dashboard: passwords
// (argon2id), sessions that end after a lifetime or when idle, and
// single-use links with which a new member (or the first owner) sets a
// password. Signing in, signing out and setting a password are changes
// like any other: each lands in the organization's audit trail, written
// in the transaction that makes it.
package account

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// Audit trail actions.
const (
	ActionSignIn      = "member.sign_in"
	ActionSignOut     = "member.sign_out"
	ActionPasswordSet = "member.set_password"
)

// How long sign-in links stay valid.
const (
	FirstSignInLinkTTL = 24 * time.Hour
	InviteLinkTTL      = 7 * 24 * time.Hour
)

// Config wires the service.
type Config struct {
	Store *store.Store
	// PublicURL prefixes the sign-in links handed out.
	PublicURL string
	// SessionLifetime is the longest a session lasts. Defaults to 7 days.
	SessionLifetime time.Duration
	// SessionIdle ends a session unused for this long. Defaults to 12 hours.
	SessionIdle time.Duration
	// Now is the clock. Defaults to time.Now.
	Now    func() time.Time
	Logger *slog.Logger

	// Failures remembers failed sign-ins and key lookups; the Redis one
	// makes lockouts hold on every node. Defaults to an in-memory one.
	Failures limit.Backoff
	// AccountPolicy locks an email address out after wrong passwords.
	// Defaults to DefaultAccountPolicy.
	AccountPolicy limit.BackoffPolicy
	// AddressPolicy locks a client address out after failed sign-ins.
	// Defaults to DefaultAddressPolicy.
	AddressPolicy limit.BackoffPolicy
	// KeyPolicy locks a client address out after unknown API or agent
	// keys. Defaults to DefaultKeyPolicy.
	KeyPolicy limit.BackoffPolicy
	// MaxHashing caps the password checks in flight on this node (19 MiB
	// each). Defaults to the CPU count, at least 2 and at most 4.
	MaxHashing int
	// HashWait is how long a sign-in waits for a password check slot
	// before it is refused with 429. Defaults to 2s.
	HashWait time.Duration
}

// WithDefaults returns a copy with every zero field set.
func (c Config) WithDefaults() Config {
	if c.SessionLifetime == 0 {
		c.SessionLifetime = 7 * 24 * time.Hour
	}
	if c.SessionIdle == 0 {
		c.SessionIdle = 12 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Failures == nil {
		c.Failures = limit.NewLocalBackoff(0)
	}
	if c.AccountPolicy == (limit.BackoffPolicy{}) {
		c.AccountPolicy = DefaultAccountPolicy
	}
	if c.AddressPolicy == (limit.BackoffPolicy{}) {
		c.AddressPolicy = DefaultAddressPolicy
	}
	if c.KeyPolicy == (limit.BackoffPolicy{}) {
		c.KeyPolicy = DefaultKeyPolicy
	}
	if c.MaxHashing == 0 {
		c.MaxHashing = defaultMaxHashing()
	}
	if c.HashWait == 0 {
		c.HashWait = 2 * time.Second
	}
	return c
}

// Service signs members in and out. It is safe for concurrent use.
type Service struct {
	cfg Config
	// hashing holds the node's password check slots: the memory they take
	// is this machine's, so they are never shared through Redis.
	hashing *limit.LocalConcurrency
	// check is checkPassword; tests count the checks in flight.
	check func(stored, pw string) (bool, error)
}

// New returns the service.
func New(cfg Config) *Service {
	return &Service{cfg: cfg.WithDefaults(), hashing: limit.NewLocalConcurrency(), check: checkPassword}
}

// Lifetime is how long a new session lasts at most.
func (s *Service) Lifetime() time.Duration { return s.cfg.SessionLifetime }

// Client is what is known of the browser signing in.
type Client struct {
	IP        string
	UserAgent string
}

// Session is a signed-in member: the token for the cookie (shown once,
// stored hashed) and the CSRF token its forms carry.
type Session struct {
	Token     string
	CSRF      string
	Principal access.Principal
}

// ErrSignIn is the one answer to a wrong email or password: it does not
// tell which was wrong.
var ErrSignIn = problem.New(401, "that email and password do not match a member; check both, or ask an owner or admin for a new sign-in link")

// SignIn checks an email and password and starts a session. An unknown
// email costs the same time as a wrong password. Repeated failures lock
// the email address, and the client's address, out for a while (429 with
// Retry-After); password checks wait for one of the node's few slots.
func (s *Service) SignIn(ctx context.Context, email, password string, c Client) (*Session, error) {
	email = strings.TrimSpace(email)
	account, address := accountKey(email), signInAddressKey(c.IP)
	if err := s.throttled(ctx, tooManySignIns, account, address); err != nil {
		return nil, err
	}
	sp, err := s.cfg.Store.PrincipalByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	hash := sp.User.PasswordHash
	if hash == "" {
		hash = dummyHash // same work for unknown members and members without a password
	}
	release, serr := s.hashSlot(ctx)
	if serr != nil {
		return nil, serr
	}
	ok, herr := s.check(hash, password)
	release()
	if err != nil || herr != nil || !ok || sp.User.PasswordHash == "" || email == "" {
		s.cfg.Logger.InfoContext(ctx, "dashboard sign-in refused", "known_member", err == nil)
		s.failed(ctx, account, s.cfg.AccountPolicy)
		s.failed(ctx, address, s.cfg.AddressPolicy)
		return nil, ErrSignIn
	}
	// The address keeps its failures: signing in to one's own account must
	// not clear the record of guesses at others.
	if err := s.cfg.Failures.Reset(ctx, account); err != nil {
		s.cfg.Logger.WarnContext(ctx, "sign-in lockouts unavailable", "error", err)
	}
	var sess *Session
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		sess, err = s.start(ctx, tx, sp, c)
		if err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, sess.Principal.Audit(ActionSignIn, "user", sp.User.ID, nil))
		return err
	})
	return sess, err
}

// start creates a session in tx: a fresh token (so a token planted before
// sign-in is useless), its hash stored.
func (s *Service) start(ctx context.Context, tx *store.Tx, sp store.Principal, c Client) (*Session, error) {
	token := vault.NewToken("", 32)
	row, err := tx.CreateSession(ctx, store.Session{
		TokenHash: vault.HashToken(token), UserID: sp.User.ID, OrgID: sp.Org.ID,
		CSRFToken: vault.NewToken("", 24), UserAgent: truncate(c.UserAgent, 200),
		ExpiresAt: s.cfg.Now().Add(s.cfg.SessionLifetime),
	})
	if err != nil {
		return nil, err
	}
	return &Session{Token: token, CSRF: row.CSRFToken, Principal: access.FromSession(sp, row.ID, c.IP)}, nil
}

// ErrNoSession means a session cookie named no live session: unknown,
// signed out, past its lifetime or idle too long.
var ErrNoSession = errors.New("the session has ended")

// Resume finds the session a cookie's token names, ends it when it is past
// its lifetime or idle timeout, and records activity.
func (s *Service) Resume(ctx context.Context, token, ip string) (*Session, error) {
	row, sp, err := s.cfg.Store.SessionByTokenHash(ctx, vault.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	if !now.Before(row.ExpiresAt) || now.Sub(row.LastSeenAt) > s.cfg.SessionIdle {
		if err := s.cfg.Store.DeleteSession(ctx, row.ID); err != nil {
			return nil, err
		}
		return nil, ErrNoSession
	}
	// The idle timeout does not need millisecond precision, and a write
	// per page view would be wasted work.
	if now.Sub(row.LastSeenAt) > touchEvery {
		if err := s.cfg.Store.TouchSession(ctx, row.ID, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return &Session{CSRF: row.CSRFToken, Principal: access.FromSession(sp, row.ID, ip)}, nil
}

const touchEvery = time.Minute

// SignOut ends p's session.
func (s *Service) SignOut(ctx context.Context, p access.Principal) error {
	return s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteSession(ctx, p.SessionID); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionSignOut, "user", p.User.ID, nil))
		return err
	})
}

// NewLink stores a single-use sign-in link for u in tx and returns its
// URL: the first owner's, or an invited member's.
func (s *Service) NewLink(ctx context.Context, tx *store.Tx, u store.User, purpose, by string, ttl time.Duration) (string, time.Time, error) {
	token := vault.NewToken("pbs_", 32)
	expires := s.cfg.Now().Add(ttl)
	if _, err := tx.CreateSigninLink(ctx, store.SigninLink{
		TokenHash: vault.HashToken(token), UserID: u.ID, OrgID: u.OrgID, Purpose: purpose, CreatedBy: by, ExpiresAt: expires,
	}); err != nil {
		return "", time.Time{}, err
	}
	path := "/signin/first"
	if purpose == store.LinkInvite {
		path = "/signin/invite"
	}
	return s.cfg.PublicURL + path + "?" + url.Values{"token": {token}}.Encode(), expires, nil
}

// FirstOwnerEmail is the placeholder address of the first organization's
// owner, replaced when they first set a password.
const FirstOwnerEmail = "owner@localhost"

// FirstSignInLink makes the single-use link with which the owner of the
// first organization, identified by email (FirstOwnerEmail), sets a
// password. The server prints one at its first start, and again at each
// start while that owner has no password. Without an owner still waiting
// for one it is store.ErrNotFound.
func (s *Service) FirstSignInLink(ctx context.Context, ownerEmail string) (link string, expires time.Time, err error) {
	sp, err := s.cfg.Store.PrincipalByEmail(ctx, ownerEmail)
	if err != nil {
		return "", time.Time{}, err
	}
	if sp.User.PasswordHash != "" {
		return "", time.Time{}, store.ErrNotFound
	}
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		link, expires, err = s.NewLink(ctx, tx, sp.User, store.LinkFirstSignIn, "", FirstSignInLinkTTL)
		return err
	})
	return link, expires, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ErrUnknownKey is the answer to an API key that is unknown or revoked.
var ErrUnknownKey = problem.New(401, "the API key is unknown or revoked")

// ErrUnknownAgentKey is the answer to an agent key that is unknown or
// revoked.
var ErrUnknownAgentKey = problem.New(401, "the agent key is unknown or revoked; use the key shown when the agent was created or its key was rotated")

// Key resolves an API key to the member it signs in; the REST API, the CLI
// and SDK workers sign in with one. An address that sends many unknown
// keys is locked out for a while (429 with Retry-After).
func (s *Service) Key(ctx context.Context, token, ip string) (access.Principal, error) {
	address := keyAddressKey(ip)
	if err := s.throttled(ctx, tooManyKeys, address); err != nil {
		return access.Principal{}, err
	}
	sp, err := s.cfg.Store.PrincipalByKeyHash(ctx, vault.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		s.failed(ctx, address, s.cfg.KeyPolicy)
		return access.Principal{}, ErrUnknownKey
	}
	if err != nil {
		return access.Principal{}, err
	}
	return access.FromKey(sp, ip), nil
}

// AgentKey resolves an agent key to its agent, on every MCP request so
// that a revoked key is refused at once. Unknown agent keys count against
// the address like unknown API keys: both are guesses at a secret.
func (s *Service) AgentKey(ctx context.Context, token, ip string) (store.Agent, error) {
	address := keyAddressKey(ip)
	if err := s.throttled(ctx, tooManyKeys, address); err != nil {
		return store.Agent{}, err
	}
	a, err := s.cfg.Store.AgentByKeyHash(ctx, vault.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		s.failed(ctx, address, s.cfg.KeyPolicy)
		return store.Agent{}, ErrUnknownAgentKey
	}
	return a, err
}

// Guess runs check, the lookup of a secret a client at ip presented (an
// OAuth access token at /mcp), under the lockout of unknown keys: it is
// refused while the address is locked out, and a secret check reports
// unknown counts as a guess, like an unknown API or agent key.
func (s *Service) Guess(ctx context.Context, ip string, check func() (known bool, err error)) error {
	address := keyAddressKey(ip)
	if err := s.throttled(ctx, tooManyKeys, address); err != nil {
		return err
	}
	known, err := check()
	if err == nil && !known {
		s.failed(ctx, address, s.cfg.KeyPolicy)
	}
	return err
}
