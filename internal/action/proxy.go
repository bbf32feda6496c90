package action

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/worker/wire"
)

// ProxyInput is a raw request to forward to an integration's base URL.
// Path is the path under it, percent-encoded as the caller sent it.
type ProxyInput struct {
	Integration, Environment string
	Method, Path, RawQuery   string
	Header                   http.Header
	Body                     []byte
}

// Proxy forwards a request as is for p, with the connection's credentials
// injected and every outbound rule applied, and returns the API's answer
// as is.
func (s *Service) Proxy(ctx context.Context, p access.Principal, in ProxyInput) (*outbound.Response, error) {
	if err := p.May(access.Run); err != nil {
		return nil, err
	}
	integ, err := s.Rules.Integration(ctx, p, in.Integration)
	if err != nil {
		return nil, err
	}
	return s.Executor.ProxyRaw(ctx, executor.ProxyCall{
		OrgID: p.Org.ID, UserID: p.User.ID, Integration: integ.ID, Environment: in.Environment,
		Method: in.Method, Path: in.Path, RawQuery: in.RawQuery, Header: in.Header, Body: in.Body, Actor: p.Actor(),
	})
}

var workerMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// WorkerHTTP sends an SDK worker's HTTP request, made while it runs an
// invocation, to the integration's API through the proxy path: the
// connection the invocation's caller resolved supplies the credentials,
// and the SSRF guard, limits, retries and the call log apply as for any
// call. Only the worker holding the invocation, with the key it
// registered with, may send; and only to the integration's base URL, so
// credentials never go anywhere else.
func (s *Service) WorkerHTTP(ctx context.Context, p access.Principal, invocationID string, req wire.HTTPRequest) (*wire.HTTPResponse, error) {
	inv, err := s.Workers.Leased(ctx, p, invocationID, req.Worker)
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	if !slices.Contains(workerMethods, method) {
		return nil, problem.BadRequest("method %q is not supported; use one of %s", req.Method, strings.Join(workerMethods, ", "))
	}
	t, err := s.Executor.Load(ctx, p.Org.ID, inv.IntegrationID, inv.Environment, inv.Version)
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
		OrgID: p.Org.ID, UserID: inv.UserID, Integration: inv.IntegrationID, Environment: inv.Environment,
		Method: method, Path: path, RawQuery: query, Header: http.Header(req.Header), Body: req.Body,
		Actor: inv.Actor, Source: executor.SourceWorker, Action: inv.Action,
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
