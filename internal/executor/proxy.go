package executor

import (
	"context"
	"net/http"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/outbound"
)

// ProxyCall is a raw request forwarded to an integration's base URL.
type ProxyCall struct {
	OrgID, UserID, Integration, Environment string
	// Path is the path under the base URL, percent-encoded as the caller
	// sent it; RawQuery is sent as is.
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
	Actor                  string
	// Source and Action label the call log entry; Source defaults to
	// SourceProxy. SDK workers' HTTP calls use SourceWorker and their action.
	Source Source
	Action string
}

// hopHeaders are not forwarded: they describe the hop to Plugboard, or
// carry Plugboard's own credentials.
var hopHeaders = []string{"Authorization", "Connection", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Cookie", "Host", "X-Plugboard-Environment", "Content-Length", "Accept-Encoding"}

var isHop = func() map[string]bool {
	m := make(map[string]bool, len(hopHeaders))
	for _, k := range hopHeaders {
		m[k] = true
	}
	return m
}()

// forwardable is a copy of the caller's headers without the hop headers,
// its values in one allocation as [http.Header.Clone] makes them.
func forwardable(in http.Header) http.Header {
	n := 0
	for k, vs := range in {
		if !isHop[k] {
			n += len(vs)
		}
	}
	vals := make([]string, n)
	out := make(http.Header, len(in))
	for k, vs := range in {
		if isHop[k] {
			continue
		}
		n := copy(vals, vs)
		out[k] = vals[:n:n]
		vals = vals[n:]
	}
	return out
}

// ProxyRaw forwards any request to the integration's base URL with the
// connection's credentials injected and every limit, guard and log applied.
func (e *Executor) ProxyRaw(ctx context.Context, c ProxyCall) (*outbound.Response, error) {
	if c.Environment == "" {
		c.Environment = connector.Sandbox
	}
	t, err := e.Load(ctx, c.OrgID, c.Integration, c.Environment, VersionDefault)
	if err != nil {
		return nil, err
	}
	conn, creds, err := e.connection(ctx, t, c.Environment, c.UserID)
	if err != nil {
		return nil, err
	}
	base := t.Definition.BaseURLFor(c.Environment)
	if conn.BaseURL != "" {
		base = conn.BaseURL
	}
	target, err := proxyTarget(base, c.Path)
	if err != nil {
		return nil, err
	}
	target.RawQuery = c.RawQuery
	h := forwardable(c.Header)
	for k, v := range t.Definition.Headers {
		if h.Get(k) == "" {
			h.Set(k, v)
		}
	}
	if c.Source == "" {
		c.Source = SourceProxy
	}
	res, err := e.send(ctx, t, conn, creds, sendSpec{
		action: c.Action, env: c.Environment, source: c.Source, actor: c.Actor,
		method: c.Method, url: target.String(), header: h, body: c.Body, rawOnly: true,
	})
	if err != nil {
		return nil, err
	}
	return res.raw, nil
}
