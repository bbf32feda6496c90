package api

import (
	"io"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/problem"
)

type runInput struct {
	Environment string         `json:"environment"`
	Params      map[string]any `json:"params"`
	Version     int            `json:"version,omitempty"`
}

func (a *API) runAction(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in runInput
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	call := executor.Call{
		OrgID: p.Org.ID, UserID: p.User.ID, Integration: r.PathValue("id"), Action: r.PathValue("action"),
		Environment: in.Environment, Params: in.Params, Version: in.Version, Source: "api", Actor: p.KeyID,
		IdempotencyKey: strings.TrimSpace(r.Header.Get("Idempotency-Key")),
	}
	res, replayed, err := a.runIdempotent(r, p, call)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	res.Request = nil
	writeJSON(w, http.StatusOK, res)
}

func (a *API) testIntegration(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in runInput
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	res, err := a.Executor.Test(r.Context(), executor.Call{
		OrgID: p.Org.ID, UserID: p.User.ID, Integration: r.PathValue("id"), Environment: in.Environment,
		Params: in.Params, Actor: p.KeyID,
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
	p := principal(r)
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		a.fail(w, r, problem.BadRequest("read body: %v", err))
		return
	}
	if len(body) > MaxBodyBytes {
		a.fail(w, r, problem.New(http.StatusRequestEntityTooLarge, "the request body exceeds %d MB", MaxBodyBytes>>20))
		return
	}
	env := r.URL.Query().Get("environment")
	if env == "" {
		env = r.Header.Get("X-Plugboard-Environment")
	}
	q := r.URL.Query()
	q.Del("environment")
	res, err := a.Executor.ProxyRaw(r.Context(), executor.ProxyCall{
		OrgID: p.Org.ID, UserID: p.User.ID, Integration: r.PathValue("id"), Environment: env,
		Method: r.Method, Path: r.PathValue("path"), RawQuery: q.Encode(), Header: r.Header, Body: body, Actor: p.KeyID,
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
