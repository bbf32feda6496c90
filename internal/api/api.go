// Package api is the REST API under /v1: handlers that decode JSON, call
// the application layer for the principal the API key signs in, and encode
// its answers or RFC 9457 problems. No rule lives here: who may do what,
// what is valid and what is audited are the domain packages' decisions,
// which the dashboard, MCP, triggers and workers share.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/account"
	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/approval"
	"github.com/plugboard/plugboard/internal/calllog"
	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/clientip"
	"github.com/plugboard/plugboard/internal/connection"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/org"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/retention"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhook"
	"github.com/plugboard/plugboard/internal/worker"
)

// MaxBodyBytes caps request bodies (definitions, params, proxied bodies).
const MaxBodyBytes = 10 << 20

// Deps are the application layer the handlers call; every field is
// required.
type Deps struct {
	Accounts     *account.Service
	Integrations *integration.Service
	Connections  *connection.Service
	Agents       *agent.Service
	Org          *org.Service
	Catalog      *catalog.Service
	Webhooks     *webhook.Service
	Workers      *worker.Service
	Actions      *action.Service
	Approvals    *approval.Service
	Logs         *calllog.Reader
	Retention    *retention.Service
	Logger       *slog.Logger
	PublicURL    string
	// Clients finds a caller's address behind trusted proxies. Defaults to
	// the connection's peer.
	Clients *clientip.Resolver
}

// API serves /v1.
type API struct {
	Deps
}

// New returns the API.
func New(d Deps) *API { return &API{Deps: d} }

type ctxKey struct{}

// principal returns the caller authenticated by the middleware.
func principal(r *http.Request) access.Principal {
	p, _ := r.Context().Value(ctxKey{}).(access.Principal)
	return p
}

// authenticate resolves the bearer API key to the member it signs in.
func (a *API) authenticate(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="plugboard"`)
			problem.Write(w, problem.New(http.StatusUnauthorized, "send your API key as 'Authorization: Bearer <key>'"))
			return
		}
		p, err := a.Accounts.Key(r.Context(), token, a.clientIP(r))
		if errors.Is(err, account.ErrUnknownKey) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="plugboard", error="invalid_token"`)
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)))
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}

// clientIP is the caller's address, through trusted proxies.
func (a *API) clientIP(r *http.Request) string { return a.Clients.Addr(r).String() }

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
// fix. Numbers in fields of type any arrive as json.Number.
func decode(r *http.Request, v any) error {
	body, err := readBody(r, MaxBodyBytes)
	if err != nil {
		return err
	}
	return decodeBytes(body, v)
}

// decodeOptional is decode for bodies that may be left out.
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decode(r, v)
}

func decodeBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return problem.BadRequest("the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	// Numbers stay exactly as sent (json.Number): a float64 would turn an
	// id like 9007199254740993 into another one before it reaches the API.
	dec.UseNumber()
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

// readBody reads a body of at most limit bytes.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if p, ok := problem.As(err); ok {
		return nil, p // the body was too slow
	}
	if err != nil {
		return nil, problem.BadRequest("read body: %v", err)
	}
	if int64(len(body)) > limit {
		return nil, problem.New(http.StatusRequestEntityTooLarge, "the request body exceeds %d MB", limit>>20)
	}
	return body, nil
}
