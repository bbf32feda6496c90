package auth

import (
	"context"
	"time"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// renew gets a new access token for conn, replacing stale (the token the
// caller holds, "" if none). Concurrent callers in this process share one
// attempt; across nodes the connection's row lock makes them take turns,
// and a node that waited uses the token the other one stored instead of
// asking the provider again.
func (p *Provider) renew(ctx context.Context, conn store.Connection, a connector.Auth, stale string) (connector.Credentials, error) {
	ch := p.flights.DoChan(conn.ID, func() (any, error) {
		// The attempt serves every waiting caller, so one caller giving up
		// must not cancel it; it still ends by the first caller's deadline
		// or the refresh budget.
		fctx, cancel := p.flightContext(ctx)
		defer cancel()
		return p.renewLocked(fctx, conn, a, stale)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return connector.Credentials{}, r.Err
		}
		return r.Val.(connector.Credentials), nil
	case <-ctx.Done():
		return connector.Credentials{}, tokenProblem(conn, ctx.Err())
	}
}

func (p *Provider) flightContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(p.oauth.RefreshBudget)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	return context.WithDeadline(context.WithoutCancel(ctx), deadline)
}

func (p *Provider) renewLocked(ctx context.Context, conn store.Connection, a connector.Auth, stale string) (connector.Credentials, error) {
	var out connector.Credentials
	var fail error
	err := p.store.LockConnection(ctx, conn.ID, func(cur store.Connection) (*store.TokenUpdate, error) {
		switch cur.Status {
		case store.ConnNeedsReauth:
			fail = reauthProblem(cur, a.Grant, cur.StatusReason)
			return nil, nil
		case store.ConnPending:
			fail = problem.Conflict("the %s connection %s is not authorized yet; %s", cur.Environment, cur.ID, ReconnectHint(cur, a.Grant))
			return nil, nil
		}
		s, err := p.open(cur)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		if s.AccessToken != "" && s.AccessToken != stale && p.usable(s, now) {
			// Another node (or an earlier attempt here) renewed it while
			// this one waited for the lock.
			out = s.Credentials
			return nil, nil
		}
		if a.Grant != connector.GrantClientCredentials && s.RefreshToken == "" {
			if s.AccessToken != "" && s.AccessToken == stale && p.usable(s, now) {
				// Refused before its expiry and nothing to refresh with:
				// the caller keeps the API's answer.
				out = s.Credentials
				return nil, nil
			}
			reason := "the access token expired and the provider issued no refresh token"
			fail = reauthProblem(cur, a.Grant, reason)
			return &store.TokenUpdate{Secret: cur.Secret, Expiry: cur.TokenExpiry, Status: store.ConnNeedsReauth, Reason: reason}, nil
		}
		tok, err := p.fetch(ctx, a, s.Credentials)
		if err != nil {
			if reason, ok := refused(err); ok {
				reason = "the provider refused the " + grantWord(a.Grant) + ": " + reason
				p.logger.WarnContext(ctx, "oauth connection needs reconnecting", "connection", cur.ID, "reason", reason)
				fail = reauthProblem(cur, a.Grant, reason)
				return &store.TokenUpdate{Secret: cur.Secret, Expiry: cur.TokenExpiry, Status: store.ConnNeedsReauth, Reason: reason}, nil
			}
			p.logger.WarnContext(ctx, "oauth token request failed", "connection", cur.ID, "error", err)
			fail = tokenProblem(cur, err)
			return nil, nil
		}
		s.AccessToken, s.TokenType, s.Expiry, s.IssuedAt = tok.AccessToken, tok.TokenType, tok.Expiry, now
		if tok.RefreshToken != "" {
			// Rotation: the new refresh token replaces the old one in the
			// same write as the access token it came with.
			s.RefreshToken = tok.RefreshToken
		}
		secret, err := p.seal(cur.ID, s)
		if err != nil {
			return nil, err
		}
		out = s.Credentials
		return &store.TokenUpdate{Secret: secret, Expiry: s.Expiry, Status: store.ConnActive}, nil
	})
	if err != nil {
		return connector.Credentials{}, err
	}
	if fail != nil {
		return connector.Credentials{}, fail
	}
	return out, nil
}

func grantWord(grant string) string {
	if grant == connector.GrantClientCredentials {
		return "client credentials"
	}
	return "refresh token"
}
