package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/problem"
)

// The lockouts every surface shares. An account's failures lock the
// account whatever address they come from; an address's failures lock the
// address for every account, so a success is only held back by failures
// against the same account or from the same address.
var (
	// DefaultAccountPolicy locks an email address out after five wrong
	// passwords, for a second doubling up to 15 minutes.
	DefaultAccountPolicy = limit.BackoffPolicy{Free: 5, First: time.Second, Max: 15 * time.Minute, Forget: time.Hour}
	// DefaultAddressPolicy locks a client address out after 20 failed
	// sign-ins, whichever emails they tried (an office shares one address).
	DefaultAddressPolicy = limit.BackoffPolicy{Free: 20, First: time.Second, Max: 15 * time.Minute, Forget: time.Hour}
	// DefaultKeyPolicy locks a client address out after 20 unknown API or
	// agent keys. Known keys never count.
	DefaultKeyPolicy = limit.BackoffPolicy{Free: 20, First: time.Second, Max: 15 * time.Minute, Forget: time.Hour}
)

// defaultMaxHashing is the number of password checks in flight on one
// node: one per CPU, at least 2 and at most 4. Each takes 19 MiB and a
// CPU for ~30 ms, so more in parallel only queue for the CPUs and grow
// the memory.
func defaultMaxHashing() int { return min(max(runtime.NumCPU(), 2), 4) }

// ErrBusy answers a sign-in that found every password check slot taken
// for longer than Config.HashWait.
var ErrBusy = &problem.Error{Status: http.StatusTooManyRequests, Title: http.StatusText(http.StatusTooManyRequests),
	Detail: "the server is checking many sign-ins at once; try again in a second", RetryAfter: time.Second}

// lockedOut is the answer to an attempt during a lockout; what says what
// failed too often.
func lockedOut(wait time.Duration, what string) *problem.Error {
	secs, unit := int((wait+time.Second-1)/time.Second), "seconds"
	if secs == 1 {
		unit = "second"
	}
	return &problem.Error{Status: http.StatusTooManyRequests, Title: http.StatusText(http.StatusTooManyRequests), RetryAfter: wait,
		Detail: fmt.Sprintf("%s; try again in %d %s", what, secs, unit)}
}

const (
	tooManySignIns = "too many failed sign-ins for this email address or from your network; " +
		"if you forgot your password, ask an owner or admin of your organization for a new sign-in link"
	tooManyKeys = "too many requests with unknown or revoked keys from your network; check the key you send"
)

// throttled refuses an attempt while any of keys is locked out. A limiter
// that cannot answer (Redis down) lets the attempt through, logged: the
// password check's cap still holds, and sign-ins do not stop with it.
func (s *Service) throttled(ctx context.Context, what string, keys ...string) error {
	var wait time.Duration
	for _, k := range keys {
		w, err := s.cfg.Failures.Locked(ctx, k)
		if err != nil {
			s.cfg.Logger.WarnContext(ctx, "sign-in lockouts unavailable", "error", err)
			continue
		}
		wait = max(wait, w)
	}
	if wait > 0 {
		return lockedOut(wait, what)
	}
	return nil
}

// failed records a failure of key under p.
func (s *Service) failed(ctx context.Context, key string, p limit.BackoffPolicy) {
	lock, err := s.cfg.Failures.Fail(ctx, key, p)
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "sign-in lockouts unavailable", "error", err)
		return
	}
	if lock > 0 {
		s.cfg.Logger.WarnContext(ctx, "locked out after repeated failures", "key", key, "for", lock)
	}
}

// hashSlot takes one of the node's password check slots, waiting up to
// Config.HashWait.
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	release, err = s.hashing.Acquire(ctx, "argon2id", s.cfg.MaxHashing, s.cfg.HashWait)
	if errors.Is(err, limit.ErrTooManyConcurrent) {
		return nil, ErrBusy
	}
	return release, err
}

// Keys of the failure ledger.
func accountKey(email string) string    { return "signin:account:" + strings.ToLower(email) }
func signInAddressKey(ip string) string { return "signin:address:" + addressKey(ip) }
func keyAddressKey(ip string) string    { return "keys:address:" + addressKey(ip) }

// addressKey is the unit an address is counted in: an IPv4 address, or
// an IPv6 /64, which one subscriber usually holds whole.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
