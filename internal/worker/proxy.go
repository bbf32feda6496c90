package worker

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/worker/wire"
)

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// HTTP sends an action's HTTP request to the integration's API through
// the executor's proxy path: the connection of the invocation's caller
// and environment supplies the credentials, and the SSRF guard, limits,
// retries and the call log apply as for any call. Only the worker holding
// the invocation, while it runs, may send; and only to the integration's
// base URL, so credentials never go anywhere else.
func (s *Service) HTTP(ctx context.Context, orgID, invocationID string, req wire.HTTPRequest) (*wire.HTTPResponse, error) {
	inv, err := s.Store.GetInvocation(ctx, orgID, invocationID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.NotFound("invocation %q not found in this organization", invocationID)
	}
	if err != nil {
		return nil, err
	}
	if inv.Done() {
		return nil, problem.Conflict("invocation %q has finished (%s); its action can no longer send requests", inv.ID, inv.Status)
	}
	if inv.WorkerID != req.Worker {
		return nil, problem.Conflict("invocation %q is not leased to worker %q (its lease may have expired and passed to another worker)", inv.ID, req.Worker)
	}
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	if !slices.Contains(methods, method) {
		return nil, problem.BadRequest("method %q is not supported; use one of %s", req.Method, strings.Join(methods, ", "))
	}
	t, err := s.Executor.Load(ctx, orgID, inv.IntegrationID, inv.Environment, inv.Version)
	if err != nil {
		return nil, err
	}
	path, query, err := under(t.Definition.BaseURLFor(inv.Environment), req.URL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithDeadline(ctx, inv.DeadlineAt)
	defer cancel()
	res, err := s.Executor.ProxyRaw(ctx, executor.ProxyCall{
		OrgID: orgID, UserID: inv.UserID, Integration: inv.IntegrationID, Environment: inv.Environment,
		Method: method, Path: path, RawQuery: query, Header: http.Header(req.Header), Body: req.Body,
		Actor: inv.Actor, Source: "worker", Action: inv.Action,
	})
	if err != nil {
		return nil, err
	}
	return &wire.HTTPResponse{Status: res.Status, Header: res.Header, Body: res.Body}, nil
}

// under returns raw's path and query relative to base. raw is either
// relative ("/records?page=2", "records") or absolute under base.
func under(base, raw string) (path, query string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", problem.BadRequest("url %q: %v", raw, err)
	}
	if u.User != nil {
		return "", "", problem.BadRequest("url %q must not carry credentials; the server adds the connection's", raw)
	}
	if !u.IsAbs() {
		if u.Host != "" {
			return "", "", problem.BadRequest("url %q names a host; use a path relative to the base URL %s", raw, base)
		}
		return "/" + strings.TrimLeft(u.EscapedPath(), "/"), u.RawQuery, nil
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", "", err
	}
	prefix := strings.TrimRight(b.EscapedPath(), "/")
	p := u.EscapedPath()
	if !strings.EqualFold(u.Scheme, b.Scheme) || !strings.EqualFold(u.Host, b.Host) || (p != prefix && !strings.HasPrefix(p, prefix+"/")) {
		return "", "", problem.BadRequest("url %q is outside the integration's base URL %s; the server sends requests, with credentials, only under it", raw, base)
	}
	return "/" + strings.TrimLeft(strings.TrimPrefix(p, prefix), "/"), u.RawQuery, nil
}
