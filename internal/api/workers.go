package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/worker/wire"
)

// The routes Go SDK workers use (see package worker). Workers sign in
// with an ordinary API key of the organization: registering needs the
// build permission, the rest the run permission.

// maxWorkerHTTPBody allows a 10 MB request body, base64-encoded in JSON.
const maxWorkerHTTPBody = MaxBodyBytes*4/3 + 64<<10

func (a *API) workersEnabled(w http.ResponseWriter, r *http.Request) bool {
	if a.Workers == nil {
		a.fail(w, r, problem.New(http.StatusNotFound, "this server does not run SDK workers"))
		return false
	}
	return true
}

func (a *API) registerWorker(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if !a.workersEnabled(w, r) {
		return
	}
	var req wire.RegisterRequest
	if err := decode(r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.Workers.Register(r.Context(), p, req)
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
	p := principal(r)
	if !a.workersEnabled(w, r) {
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("max"))
	wait := wire.MaxPollWaitMS
	if v, err := strconv.Atoi(q.Get("wait_ms")); err == nil && v >= 0 && v < wait {
		wait = v
	}
	invs, err := a.Workers.Poll(r.Context(), p.Org.ID, q.Get("worker"), limit, time.Duration(wait)*time.Millisecond)
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
	p := principal(r)
	if !a.workersEnabled(w, r) {
		return
	}
	var hb wire.Heartbeat
	if err := decode(r, &hb); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.Workers.Heartbeat(r.Context(), p.Org.ID, hb)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *API) deregisterWorker(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if !a.workersEnabled(w, r) {
		return
	}
	var body wire.Deregister
	if r.ContentLength != 0 {
		if err := decode(r, &body); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	if err := a.Workers.Deregister(r.Context(), p.Org.ID, r.PathValue("id"), body.Running); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) invocationResult(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if !a.workersEnabled(w, r) {
		return
	}
	var res wire.Result
	if err := decode(r, &res); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.Workers.Complete(r.Context(), p.Org.ID, r.PathValue("id"), res); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// invocationHTTP relays an action's HTTP request to its API (the server's
// middleware has already continued the worker's trace in the context).
func (a *API) invocationHTTP(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if !a.workersEnabled(w, r) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWorkerHTTPBody+1))
	if err != nil {
		a.fail(w, r, problem.BadRequest("read body: %v", err))
		return
	}
	if len(body) > maxWorkerHTTPBody {
		a.fail(w, r, problem.New(http.StatusRequestEntityTooLarge, "the request body exceeds %d MB", MaxBodyBytes>>20))
		return
	}
	var req wire.HTTPRequest
	if err := decodeBytes(body, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.Workers.HTTP(r.Context(), p.Org.ID, r.PathValue("id"), req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *API) listIntegrationWorkers(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if !a.workersEnabled(w, r) {
		return
	}
	in, err := a.Store.GetIntegration(r.Context(), p.Org.ID, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, orNotFound(err, "integration", r.PathValue("id")))
		return
	}
	list, err := a.Workers.Workers(r.Context(), p.Org.ID, in.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if list == nil {
		list = []store.Worker{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"workers": list})
}

// workersConnected fills in how many workers serve a code integration.
func (a *API) workersConnected(ctx context.Context, orgID string, v *integrationView) {
	if a.Workers == nil || v.Kind != store.KindCode {
		return
	}
	n, err := a.Workers.Connected(ctx, orgID, v.ID)
	if err != nil {
		a.Logger.WarnContext(ctx, "count connected workers", "integration", v.ID, "error", err)
	}
	v.WorkersConnected = &n
}
