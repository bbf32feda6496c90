package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/worker/wire"
)

// maxBody caps request and response bodies, as the server does.
const maxBody = 10 << 20

// Call is one invocation of an action, handed to the action's function
// with the input. It gives the action an HTTP client that reaches the
// integration's API through the server (which adds the credentials of the
// caller's connection) and the invocation's details.
type Call struct {
	inv    wire.Invocation
	worker string
	w      *worker
	log    *slog.Logger
}

// ID identifies the invocation (the call log shows it).
func (c *Call) ID() string { return c.inv.ID }

// Action is the key of the action being run.
func (c *Call) Action() string { return c.inv.Action }

// IdempotencyKey is the same on every attempt of this invocation (an
// invocation whose worker died is run again by another worker), and is
// the caller's Idempotency-Key when it sent one. Pass it on to APIs that
// accept one, or use it to skip work already done.
func (c *Call) IdempotencyKey() string { return c.inv.IdempotencyKey }

// Attempt counts from 1; above 1 an earlier worker took the invocation
// and stopped answering.
func (c *Call) Attempt() int { return c.inv.Attempt }

// Environment is "sandbox" or "production": which connection (and so
// which credentials and base URL) the server uses for the HTTP calls.
func (c *Call) Environment() string { return c.inv.Environment }

// Deadline is when the caller stops waiting; the action's context ends
// then too.
func (c *Call) Deadline() time.Time { return time.UnixMilli(c.inv.DeadlineMS) }

// Logger logs with the integration, action, invocation and trace id.
func (c *Call) Logger() *slog.Logger { return c.log }

// HTTP returns a client whose requests go to the integration's API
// through the server, which adds the connection's credentials and applies
// its SSRF guard, limits and call log. URLs may be relative to the base
// URL ("/users/42") or absolute under it. Idempotent requests that fail
// transiently are retried (see [Retries]); the request's context carries
// the trace on to the API as a traceparent header.
func (c *Call) HTTP() *http.Client {
	return &http.Client{Transport: &tunnel{call: c}}
}

// Get sends GET url and decodes the JSON answer into out (nil to ignore
// it). A status outside 2xx is an *HTTPError.
func (c *Call) Get(ctx context.Context, url string, out any) error {
	return c.JSON(ctx, http.MethodGet, url, nil, out)
}

// Post sends in as JSON and decodes the answer into out.
func (c *Call) Post(ctx context.Context, url string, in, out any) error {
	return c.JSON(ctx, http.MethodPost, url, in, out)
}

// Put sends in as JSON and decodes the answer into out.
func (c *Call) Put(ctx context.Context, url string, in, out any) error {
	return c.JSON(ctx, http.MethodPut, url, in, out)
}

// Patch sends in as JSON and decodes the answer into out.
func (c *Call) Patch(ctx context.Context, url string, in, out any) error {
	return c.JSON(ctx, http.MethodPatch, url, in, out)
}

// Delete sends DELETE url and decodes the answer into out.
func (c *Call) Delete(ctx context.Context, url string, out any) error {
	return c.JSON(ctx, http.MethodDelete, url, nil, out)
}

// JSON sends a request with in (if not nil) as its JSON body and decodes
// a JSON answer into out (if not nil). A status outside 2xx is an
// *HTTPError carrying the answer's body.
func (c *Call) JSON(ctx context.Context, method, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode the body of %s %s: %w", method, url, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.HTTP().Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return fmt.Errorf("read the answer of %s %s: %w", method, url, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return &HTTPError{Method: method, URL: url, Status: res.StatusCode, Body: data[:min(len(data), 64<<10)]}
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode the answer of %s %s: %w", method, url, err)
	}
	return nil
}
