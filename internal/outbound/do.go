package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Request describes one outbound call.
type Request struct {
	// Key names the concurrency bucket, usually the integration ID. Empty
	// means the URL's host.
	Key string
	// Method defaults to GET.
	Method string
	// URL is the absolute http or https URL to call.
	URL string
	// Header is copied onto every attempt.
	Header http.Header
	// Body is sent as is; it must fit Config.MaxRequestBytes.
	Body []byte
	// IdempotencyKey, when set, is sent as the Idempotency-Key header and
	// lets a non-idempotent method such as POST be retried.
	IdempotencyKey string
	// Timeout lowers Config.Timeout for this call; zero or a longer value
	// keeps the configured one.
	Timeout time.Duration
	// Prepare, if set, is called on every attempt just before it is sent,
	// for instance to inject a freshly refreshed credential. Whatever it
	// adds or changes, headers and query parameters, counts as a
	// credential: it goes only to the origin of URL, never along a
	// redirect to another origin. An error stops the call without retrying.
	Prepare func(*http.Request) error
	// Redirects says whether a redirect to another origin is followed,
	// without credentials, or refused. Defaults to FollowRedirects.
	Redirects RedirectPolicy
	// BeforeRetry, if set, is called with the answer (nil after a transport
	// error) before each retry, once its delay has passed: a rate-limit
	// budget records the answer and takes a place for the retry. An error
	// ends the call with that answer instead of retrying.
	BeforeRetry func(ctx context.Context, last *Response) error
}

// Response is the answer to a call, with its body fully read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Duration is the time the whole call took, retries included.
	Duration time.Duration
	// Attempts is how many times the request was sent.
	Attempts int
}

// Do sends r, retrying transient failures when that is safe, and returns the
// last response received. A non-2xx status is not an error: only a call
// that got no usable response returns one.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	start := time.Now()
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	target, err := url.Parse(r.URL)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("outbound: %q is not an absolute http or https URL", r.URL)
	}
	if int64(len(r.Body)) > c.cfg.MaxRequestBytes {
		return nil, fmt.Errorf("outbound: %s %s: %w", method, redact(target), &TooLargeError{Which: "request", Limit: c.cfg.MaxRequestBytes})
	}
	timeout := c.cfg.Timeout
	if r.Timeout > 0 && r.Timeout < timeout {
		timeout = r.Timeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errCallTimeout)
	defer cancel()

	canRetry := idempotent(method) || r.IdempotencyKey != ""
	for attempt := 1; ; attempt++ {
		res, err := c.attempt(ctx, method, target, r)
		if err != nil {
			err = c.explain(ctx, method, target, timeout, err)
		} else {
			res.Attempts, res.Duration = attempt, time.Since(start)
		}
		if !canRetry || attempt >= c.cfg.MaxAttempts {
			return res, err
		}
		delay, retry := c.nextDelay(ctx, attempt, res, err)
		if !retry {
			return res, err
		}
		c.logRetry(ctx, method, target, attempt, res, err, delay)
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, c.explain(ctx, method, target, timeout, ctx.Err())
		}
		if r.BeforeRetry != nil {
			if berr := r.BeforeRetry(ctx, res); berr != nil {
				if res != nil {
					return res, nil
				}
				return nil, berr
			}
		}
	}
}

// nextDelay decides whether another attempt is worth it and how long to wait
// first. It gives up when the wait would not end before the call's deadline.
func (c *Client) nextDelay(ctx context.Context, attempt int, res *Response, err error) (time.Duration, bool) {
	if ctx.Err() != nil {
		return 0, false
	}
	if err != nil && !retryableError(err) {
		return 0, false
	}
	delay := Backoff(attempt-1, c.cfg.BaseDelay, c.cfg.MaxDelay, c.randN)
	if res != nil {
		if !retryableStatus(res.Status) {
			return 0, false
		}
		if wait, ok := parseRetryAfter(res.Header.Get("Retry-After"), time.Now()); ok {
			if wait > c.cfg.MaxRetryAfter {
				return 0, false
			}
			delay = wait
		}
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= delay {
		return 0, false
	}
	return delay, true
}

// attempt sends the request once, holding a concurrency slot only while the
// exchange is on the wire, so waits between attempts leave it to others.
func (c *Client) attempt(ctx context.Context, method string, target *url.URL, r *Request) (*Response, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	rules := &hopRules{policy: r.Redirects}
	ctx = context.WithValue(ctx, hopRulesKey{}, rules)
	req, err := http.NewRequestWithContext(ctx, method, target.String(), body)
	if err != nil {
		return nil, err
	}
	if r.Header != nil {
		req.Header = r.Header.Clone()
	}
	if r.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", r.IdempotencyKey)
	}
	if r.Prepare != nil {
		if err := rules.learn(req, r.Prepare); err != nil {
			return nil, &prepareError{err: err}
		}
	}
	key := r.Key
	if key == "" {
		key = target.Host
	}
	release, err := c.cfg.Concurrency.Acquire(ctx, key, c.cfg.MaxConcurrent, c.cfg.ConcurrencyWait)
	if err != nil {
		return nil, err
	}
	defer release()

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := readCapped(resp.Body, resp.ContentLength, c.cfg.MaxResponseBytes)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// explain turns an attempt's error into the one the caller sees: the call's
// own deadline becomes ErrTimeout with its limit, and *url.Error is peeled
// off because its message repeats the URL with its query string.
func (c *Client) explain(ctx context.Context, method string, target *url.URL, timeout time.Duration, err error) error {
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), errCallTimeout) {
		return fmt.Errorf("%w after %s calling %s %s", ErrTimeout, timeout, method, redact(target))
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return fmt.Errorf("outbound: %s %s: %w", method, redact(target), err)
}

func (c *Client) logRetry(ctx context.Context, method string, target *url.URL, attempt int, res *Response, err error, delay time.Duration) {
	attrs := []any{"method", method, "url", redact(target), "attempt", attempt, "delay", delay}
	if res != nil {
		attrs = append(attrs, "status", res.Status)
	} else {
		attrs = append(attrs, "error", err.Error())
	}
	c.cfg.Logger.DebugContext(ctx, "outbound call will be retried", attrs...)
}
