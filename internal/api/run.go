package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/approval"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/limit"
)

type runInput struct {
	Environment string         `json:"environment"`
	Params      map[string]any `json:"params"`
	Version     int            `json:"version,omitempty"`
	// What the caller wants of a successful answer: a jq selection, a
	// byte budget (a larger result is stored; GET /v1/results/{id} reads
	// it), and for an action that pages, how much of the list to gather.
	Select   string `json:"select,omitempty"`
	MaxBytes int    `json:"max_bytes,omitempty"`
	MaxPages int    `json:"max_pages,omitempty"`
	MaxItems int    `json:"max_items,omitempty"`
	Cursor   string `json:"cursor,omitempty"`
}

func (a *API) runAction(w http.ResponseWriter, r *http.Request) {
	var in runInput
	if err := decodeOptional(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	res, replayed, err := a.Actions.Run(r.Context(), principal(r), action.Input{
		Integration: r.PathValue("id"), Action: r.PathValue("action"), Environment: in.Environment,
		Params: in.Params, Version: in.Version, IdempotencyKey: strings.TrimSpace(r.Header.Get("Idempotency-Key")),
		Select: in.Select, MaxBytes: in.MaxBytes,
		Pages: executor.Pages{MaxPages: in.MaxPages, MaxItems: in.MaxItems, Cursor: in.Cursor},
	})
	if p, ok := approval.AsPending(err); ok {
		a.writePending(w, p)
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	budgetHeaders(w.Header(), res.RateLimit)
	res.Request = nil
	writeJSON(w, http.StatusOK, res)
}

// budgetHeaders tell the caller what is left of the API's announced rate
// limit for the connection: calls remaining, of how many, and seconds
// until the window resets.
func budgetHeaders(h http.Header, w *limit.Window) {
	if w == nil {
		return
	}
	h.Set("Plugboard-RateLimit-Remaining", strconv.Itoa(w.Remaining))
	if w.Limit > 0 {
		h.Set("Plugboard-RateLimit-Limit", strconv.Itoa(w.Limit))
	}
	h.Set("Plugboard-RateLimit-Reset", strconv.Itoa(int(math.Ceil(time.Until(w.Reset).Seconds()))))
}

func (a *API) testIntegration(w http.ResponseWriter, r *http.Request) {
	var in runInput
	if err := decodeOptional(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.Actions.Test(r.Context(), principal(r), action.TestInput{
		Integration: r.PathValue("id"), Environment: in.Environment, Params: in.Params,
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// proxy forwards the request as is and answers with the upstream response
// as is.
func (a *API) proxy(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, MaxBodyBytes)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	env := r.URL.Query().Get("environment")
	if env == "" {
		env = r.Header.Get("X-Plugboard-Environment")
	}
	q := r.URL.Query()
	q.Del("environment")
	res, err := a.Actions.Proxy(r.Context(), principal(r), action.ProxyInput{
		Integration: r.PathValue("id"), Environment: env,
		Method: r.Method, Path: proxiedPath(r), RawQuery: q.Encode(), Header: r.Header, Body: body,
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	for k, vs := range res.Header {
		switch strings.ToLower(k) {
		case "content-length", "transfer-encoding", "connection", "keep-alive":
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(res.Status)
	_, _ = w.Write(res.Body)
}

// proxiedPath is the part of the request's path after /proxy/, still
// percent-encoded: r.PathValue would decode it once, and the API must
// receive the path as sent (a%2Fb stays one segment, %252e stays %252e
// for the proxy to judge).
func proxiedPath(r *http.Request) string {
	// /v1/integrations/{id}/proxy/{path...}: the router matched escaped
	// segments, so the fifth slash starts the path.
	parts := strings.SplitN(r.URL.EscapedPath(), "/", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[5]
}
