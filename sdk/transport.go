package sdk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/plugboard/plugboard/internal/worker/wire"
)

// tunnel is the RoundTripper behind Call.HTTP: it sends each request to
// the server, which sends it on to the API with credentials, and relays
// the API's answer.
type tunnel struct{ call *Call }

func (t *tunnel) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(b) > maxBody {
			return nil, fmt.Errorf("the request body of %s %s exceeds %d MB", req.Method, req.URL, maxBody>>20)
		}
		body = b
	}
	header := req.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	// The API continues the trace: agent → server → worker → API.
	propagator().Inject(req.Context(), headerCarrier(header))
	msg := wire.HTTPRequest{Worker: t.call.worker, Method: req.Method, URL: req.URL.String(), Header: header, Body: body}

	attempts := 1
	if idempotent(req.Method) || header.Get("Idempotency-Key") != "" {
		attempts = t.call.w.cfg.retries
	}
	bo := backoff{}
	for attempt := 1; ; attempt++ {
		res, err := t.send(req.Context(), msg)
		wait, retry := retryable(res, err)
		if !retry || attempt >= attempts || req.Context().Err() != nil {
			if err != nil {
				return nil, err
			}
			return toResponse(req, res), nil
		}
		if wait == 0 {
			wait = bo.next()
		}
		if d, ok := req.Context().Deadline(); ok && time.Now().Add(wait).After(d) {
			if err != nil {
				return nil, err
			}
			return toResponse(req, res), nil
		}
		t.call.log.DebugContext(req.Context(), "retrying HTTP request", "method", req.Method, "url", req.URL.String(), "attempt", attempt+1, "wait", wait, "error", err)
		if !sleep(req.Context(), wait) {
			return nil, req.Context().Err()
		}
	}
}

func (t *tunnel) send(ctx context.Context, msg wire.HTTPRequest) (*wire.HTTPResponse, error) {
	var res wire.HTTPResponse
	err := t.call.w.call(ctx, http.MethodPost, wire.PathInvocation+url.PathEscape(t.call.inv.ID)+"/http", msg, &res)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// retryable says whether a failure may pass on its own: a lost connection
// to the server, the server unable to reach the API, or the API asking to
// wait. A Retry-After up to 10 s is honoured.
func retryable(res *wire.HTTPResponse, err error) (time.Duration, bool) {
	if err != nil {
		var se *ServerError
		if errors.As(err, &se) {
			return 0, se.Status == http.StatusBadGateway || se.Status == http.StatusServiceUnavailable || se.Status == http.StatusGatewayTimeout || se.Status == http.StatusTooManyRequests
		}
		return 0, !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch res.Status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if v := http.Header(res.Header).Get("Retry-After"); v != "" {
			if s, err := strconv.Atoi(v); err == nil && s >= 0 && s <= 10 {
				return time.Duration(s) * time.Second, true
			}
		}
		return 0, true
	}
	return 0, false
}

func toResponse(req *http.Request, res *wire.HTTPResponse) *http.Response {
	if res.Header == nil {
		res.Header = map[string][]string{}
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", res.Status, http.StatusText(res.Status)), StatusCode: res.Status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header(res.Header), Body: io.NopCloser(bytes.NewReader(res.Body)),
		ContentLength: int64(len(res.Body)), Request: req,
	}
}
