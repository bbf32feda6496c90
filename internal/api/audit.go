package api

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// audited records every successful change made through the API in the
// organization's hash-chained audit trail: who (user and key), what (the
// route), which object, and when. High-frequency machine traffic (action
// runs, the raw proxy, worker polling) is recorded in the call log instead,
// which also names the caller.
func (a *API) audited(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || !auditable(r.Pattern) {
			next(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next(rec, r)
		if rec.status >= 400 {
			return
		}
		p := principal(r)
		if p.Org.ID == "" {
			return
		}
		typ, target := auditTarget(r)
		_, err := a.Store.AppendAudit(r.Context(), store.AuditEvent{
			OrgID: p.Org.ID, ActorUserID: p.User.ID, ActorKeyID: p.KeyID,
			Action: r.Pattern, TargetType: typ, TargetID: target,
			IP: clientIP(r), Status: rec.status,
		})
		if err != nil {
			a.Logger.ErrorContext(r.Context(), "audit trail append failed", "action", r.Pattern, "org", p.Org.ID, "error", err)
		}
	}
}

func auditable(pattern string) bool {
	for _, skip := range []string{"/actions/{action}/run", "/proxy/{path...}", "/v1/workers/"} {
		if strings.Contains(pattern, skip) {
			return false
		}
	}
	return true
}

// auditTarget names the object a route acts on: the resource after /v1/
// and its id (the innermost id when routes nest).
func auditTarget(r *http.Request) (string, string) {
	_, path, _ := strings.Cut(r.Pattern, " ")
	resource, _, _ := strings.Cut(strings.TrimPrefix(path, "/v1/"), "/")
	typ := strings.TrimSuffix(resource, "s")
	for _, name := range []string{"cid", "id"} {
		if v := r.PathValue(name); v != "" {
			if name == "cid" {
				typ = "connection"
			}
			return typ, v
		}
	}
	return typ, ""
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	q := r.URL.Query()
	f := store.AuditFilter{ActorUserID: q.Get("actor"), TargetID: q.Get("target"), Action: q.Get("action")}
	lp, err := parseListParams(q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f.Since, f.Limit = lp.Since, lp.Limit
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			a.fail(w, r, problem.BadRequest("cursor must be a number from a previous page, got %q", v))
			return
		}
		f.Before = n
	}
	events, err := a.Store.ListAudit(r.Context(), p.Org.ID, f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := map[string]any{"events": events}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	if len(events) == limit {
		out["next_cursor"] = strconv.FormatInt(events[len(events)-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) verifyAudit(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	v, err := a.Store.VerifyAudit(r.Context(), p.Org.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
