package action

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// SignInRequired is the error of a call for a member whose own connection
// to an integration that needs one is missing, or must be authorized
// again. URL is the Plugboard page where that member connects.
type SignInRequired struct {
	URL         string
	Integration string // its name
	Environment string
	UserID      string
	Email       string
	Reason      string // "missing" or the connection's status
}

func (e *SignInRequired) Error() string {
	what := "has not connected their own " + e.Integration + " account"
	if e.Reason != "missing" {
		what = "must connect their " + e.Integration + " account again"
	}
	return fmt.Sprintf("%s %s (%s), which this call needs. Show them this link: %s. They sign in to %s there; then make the same call again with the same idempotency key.",
		e.Email, what, e.Environment, e.URL, e.Integration)
}

// Unwrap reads it as a problem (409), for surfaces that show problems.
func (e *SignInRequired) Unwrap() error {
	return &problem.Error{Status: http.StatusConflict, Title: "Connection needed", Detail: e.Error()}
}

// AsSignInRequired reports whether err asks for a member's sign-in.
func AsSignInRequired(err error) (*SignInRequired, bool) {
	var e *SignInRequired
	ok := errors.As(err, &e)
	return e, ok
}

// personal checks that p has an active connection of their own to an
// integration that needs one.
func (s *Service) personal(ctx context.Context, p access.Principal, t *executor.Target, env string) error {
	conn, err := s.Executor.Store.ResolveConnection(ctx, p.Org.ID, t.Integration.ID, env, p.User.ID)
	reason := ""
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && conn.UserID != p.User.ID):
		reason = "missing"
	case err != nil:
		return err
	case conn.Status == store.ConnPending || conn.Status == store.ConnNeedsReauth:
		reason = conn.Status
	default:
		return nil
	}
	link := s.PublicURL + executor.PersonalConnectPath(t.Integration.ID, env) + "?" + url.Values{"for": {p.User.ID}}.Encode()
	return &SignInRequired{URL: link, Integration: t.Integration.Name, Environment: env, UserID: p.User.ID, Email: p.User.Email, Reason: reason}
}

// Connected reports whether userID's own connection to an integration in
// env is active, for a surface waiting for a sign-in to complete.
func (s *Service) Connected(ctx context.Context, orgID, integrationID, env, userID string) bool {
	conn, err := s.Executor.Store.ResolveConnection(ctx, orgID, integrationID, env, userID)
	return err == nil && conn.UserID == userID && conn.Status == store.ConnActive
}
