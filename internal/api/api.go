// Package api is the REST API under /v1: thin handlers that decode input,
// authorize through one function, call the domain packages and encode
// results or RFC 9457 problems.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/auth"
	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/idempotency"
	"github.com/plugboard/plugboard/internal/mcp"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
	"github.com/plugboard/plugboard/internal/worker"
)

// MaxBodyBytes caps request bodies (definitions, params, proxied bodies).
const MaxBodyBytes = 10 << 20

// Deps are what the handlers use.
type Deps struct {
	Store     *store.Store
	Executor  *executor.Executor
	Auth      *auth.Provider
	Vault     *vault.Keyring
	Logger    *slog.Logger
	PublicURL string
	// OnDeploy is called after an integration version is deployed.
	OnDeploy func(ctx context.Context, in store.Integration)
	// BeforeDisconnect is called before a connection is deleted (OAuth
	// token revocation).
	BeforeDisconnect func(ctx context.Context, c store.Connection)
	// Workers serves Go SDK workers (code-defined integrations).
	Workers *worker.Service
	// Resolver looks up hosts for the catalog's security audit; nil uses
	// the system resolver.
	Resolver catalog.Resolver
	// MCP serves agents their tools; the agents API exports the same tools
	// and tells it when an agent's grants change.
	MCP *mcp.Server
	// Idempotency replays the first result of a repeated Idempotency-Key.
	Idempotency *idempotency.Runner
	// ImportHTTP fetches OpenAPI documents by URL (through the SSRF guard,
	// with a size cap and a timeout).
	ImportHTTP *http.Client
}

// API serves /v1.
type API struct {
	Deps
}

// New returns the API.
func New(d Deps) *API { return &API{Deps: d} }

type ctxKey struct{}

// principal returns the caller authenticated by the middleware.
func principal(r *http.Request) store.Principal {
	p, _ := r.Context().Value(ctxKey{}).(store.Principal)
	return p
}

// WithPrincipal stores p in ctx (used by the dashboard, which signs users in
// with sessions, to reuse the API's handlers).
func WithPrincipal(ctx context.Context, p store.Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// authenticate resolves the bearer API key to its principal.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="plugboard"`)
			problem.Write(w, problem.New(http.StatusUnauthorized, "send your API key as 'Authorization: Bearer <key>'"))
			return
		}
		p, err := a.Store.PrincipalByKeyHash(r.Context(), vault.HashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="plugboard", error="invalid_token"`)
			problem.Write(w, problem.New(http.StatusUnauthorized, "the API key is unknown or revoked"))
			return
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}

// fail writes err as a problem; unexpected errors are logged once here and
// shown without internals.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	if p, ok := problem.As(err); ok {
		if p.Status >= 500 && p.Cause != nil {
			a.Logger.WarnContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", p.Status, "error", p.Cause)
		}
		problem.Write(w, p)
		return
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		problem.Write(w, problem.NotFound("not found"))
	case errors.Is(err, store.ErrConflict):
		problem.Write(w, problem.Conflict("%v", err))
	case errors.Is(err, context.Canceled):
		problem.Write(w, problem.New(499, "request cancelled"))
	default:
		a.Logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		problem.Write(w, problem.New(http.StatusInternalServerError, "something went wrong on our side; the error was logged"))
	}
}

// writeJSON sends v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decode reads a JSON body into v, strictly, with messages that say what to
// fix.
func decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeBytes(body, v)
}

func decodeBytes(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return problem.BadRequest("the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return problem.BadRequest("the body is not valid JSON: %v (at byte %d)", err, syn.Offset)
		case errors.As(err, &typ):
			return problem.BadRequest("field %q must be %s, got %s", typ.Field, typ.Type, typ.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return problem.BadRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return problem.BadRequest("the body is not valid JSON: %v", err)
	}
	return nil
}

func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, problem.BadRequest("read body: %v", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, problem.New(http.StatusRequestEntityTooLarge, "the request body exceeds %d MB", MaxBodyBytes>>20)
	}
	return body, nil
}

func notFound(kind, id string) error {
	return problem.NotFound("%s %q not found in this organization", kind, id)
}

func orNotFound(err error, kind, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound(kind, id)
	}
	return err
}

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }
