package connectedapp

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// Verifier checks the access tokens connected apps present to /mcp. It is
// apart from the Service, whose consent needs the agent operations, which
// in turn tell the MCP server of changes: the MCP server is built with a
// Verifier before them. It is safe for concurrent use.
type Verifier struct {
	store  *store.Store
	rules  *access.Rules
	now    func() time.Time
	logger *slog.Logger
}

// NewVerifier returns the verifier; now defaults to time.Now.
func NewVerifier(st *store.Store, rules *access.Rules, now func() time.Time, logger *slog.Logger) *Verifier {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Verifier{store: st, rules: rules, now: now, logger: logger}
}

// Access is what a valid access token gives: the connected app it acts
// as, for whom, and for which resource.
type Access struct {
	App      store.Agent
	Resource string
	Scopes   []string
	Expires  time.Time
}

// ErrUnknownToken answers a token Plugboard never issued (or purged long
// after it expired): a guess, counted as such.
var ErrUnknownToken = errors.New("unknown access token")

// Verify checks an access token presented to /mcp, on every request: it
// must be an access token, neither expired nor revoked (itself, its family
// or its app), and its person still a member. The caller checks the
// audience. Use of the app is recorded to the minute.
func (v *Verifier) Verify(ctx context.Context, token string) (Access, error) {
	tok, f, err := v.store.AppTokenByHash(ctx, vault.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return Access{}, ErrUnknownToken
	}
	if err != nil {
		return Access{}, err
	}
	switch {
	case tok.Kind != store.TokenAccess:
		return Access{}, &Refused{"a refresh token is not an access token; send it to the token endpoint"}
	case !f.RevokedAt.IsZero():
		return Access{}, &Refused{"the access token was revoked (" + f.RevokedReason + "); sign in again"}
	case !tok.RevokedAt.IsZero():
		return Access{}, &Refused{"the access token was revoked; sign in again"}
	case !v.now().Before(tok.ExpiresAt):
		return Access{}, &Refused{"the access token has expired; refresh it or sign in again"}
	}
	app, err := v.store.GetAgent(ctx, f.OrgID, f.AgentID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !app.RevokedAt.IsZero() {
		return Access{}, &Refused{"the app was disconnected in Plugboard; connect it again"}
	}
	if err != nil {
		return Access{}, err
	}
	if _, err := v.rules.Member(ctx, f.OrgID, f.UserID); errors.Is(err, store.ErrNotFound) {
		return Access{}, &Refused{"the person who connected the app is no longer a member of the organization"}
	} else if err != nil {
		return Access{}, err
	}
	if now := v.now(); now.Sub(app.LastUsedAt) > time.Minute {
		if err := v.store.TouchAgent(ctx, app.ID, now); err != nil {
			v.logger.WarnContext(ctx, "record connected app's use", "agent", app.ID, "error", err)
		}
		app.LastUsedAt = now
	}
	return Access{App: app, Resource: f.Resource, Scopes: strings.Fields(f.Scope), Expires: tok.ExpiresAt}, nil
}

// Refused is why a known access token does not work, to tell its client.
type Refused struct{ Reason string }

func (e *Refused) Error() string { return e.Reason }
