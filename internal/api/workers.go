package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/worker/wire"
)

// The routes Go SDK workers use (see package worker). Workers sign in
// with an ordinary API key of the organization and act as workers of its
// member.

// maxWorkerHTTPBody allows a 10 MB request body, base64-encoded in JSON.
const maxWorkerHTTPBody = MaxBodyBytes*4/3 + 64<<10

func asWorker(r *http.Request) access.Principal { return access.AsWorker(principal(r)) }

func (a *API) registerWorker(w http.ResponseWriter, r *http.Request) {
	var req wire.RegisterRequest
	if err := decode(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.Workers.Register(r.Context(), asWorker(r), req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Changed {
		status = http.StatusCreated
	}
	writeJSON(w, status, res)
}

func (a *API) pollWorker(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("max"))
	wait := wire.MaxPollWaitMS
	if v, err := strconv.Atoi(q.Get("wait_ms")); err == nil && v >= 0 && v < wait {
		wait = v
	}
	invs, err := a.Workers.Poll(r.Context(), asWorker(r), q.Get("worker"), limit, time.Duration(wait)*time.Millisecond)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if invs == nil {
		invs = []wire.Invocation{}
	}
	writeJSON(w, http.StatusOK, wire.PollResponse{Invocations: invs})
}

func (a *API) heartbeatWorker(w http.ResponseWriter, r *http.Request) {
	var hb wire.Heartbeat
	if err := decode(r, &hb); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.Workers.Heartbeat(r.Context(), asWorker(r), hb)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *API) deregisterWorker(w http.ResponseWriter, r *http.Request) {
	var body wire.Deregister
	if err := decodeOptional(r, &body); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.Workers.Deregister(r.Context(), asWorker(r), r.PathValue("id"), body.Running); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) invocationResult(w http.ResponseWriter, r *http.Request) {
	var res wire.Result
	if err := decode(r, &res); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.Workers.Complete(r.Context(), asWorker(r), r.PathValue("id"), res); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// invocationHTTP relays an action's HTTP request to its API (the server's
// middleware has already continued the worker's trace in the context).
func (a *API) invocationHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, maxWorkerHTTPBody)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var req wire.HTTPRequest
	if err := decodeBytes(body, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.Actions.WorkerHTTP(r.Context(), asWorker(r), r.PathValue("id"), req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *API) listIntegrationWorkers(w http.ResponseWriter, r *http.Request) {
	list, err := a.Workers.Workers(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if list == nil {
		list = []store.Worker{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"workers": list})
}
