package outbound

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync/atomic"
)

// ErrTimeout is wrapped by the error of a call that ran out of its
// [Config.Timeout] or [Request.Timeout]. The message states the limit.
var ErrTimeout = errors.New("outbound: timed out")

// errCallTimeout is the cause of the call's own deadline, telling it apart
// from a deadline or cancellation of the caller's context.
var errCallTimeout = errors.New("outbound: call deadline")

// TooLargeError reports a request or response body over its cap. A response
// over the cap is never returned cut short.
type TooLargeError struct {
	// Which is "request" or "response".
	Which string
	// Limit is the cap in bytes.
	Limit int64
}

// Error states which body went over which cap.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("outbound: %s body exceeds the %s limit", e.Which, formatBytes(e.Limit))
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// prepareError marks a failure of [Request.Prepare], which retrying would
// not fix.
type prepareError struct{ err error }

func (e *prepareError) Error() string { return "prepare request: " + e.err.Error() }
func (e *prepareError) Unwrap() error { return e.err }

// redact keeps what helps to debug a URL and drops where secrets travel: user
// info and the query string.
func redact(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	if u.RawQuery != "" {
		r.RawQuery = "…"
	}
	return r.String()
}

// readCapped reads a whole body, failing rather than truncating once it
// passes limit bytes. size is the declared Content-Length, or -1.
func readCapped(body io.Reader, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, &TooLargeError{Which: "response", Limit: limit}
	}
	var buf bytes.Buffer
	if size > 0 {
		// One spare byte lets ReadFrom see EOF without growing again.
		buf.Grow(int(size) + 1)
	}
	if _, err := buf.ReadFrom(io.LimitReader(body, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, &TooLargeError{Which: "response", Limit: limit}
	}
	return buf.Bytes(), nil
}

// cappedBody enforces a body cap for [Client.HTTPClient] callers, who
// stream bodies themselves.
type cappedBody struct {
	io.ReadCloser
	which   string
	left    int64
	limit   int64
	tripped atomic.Bool // read from another goroutine for request bodies
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.tooLarge()
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n + int(b.left), b.tooLarge()
	}
	return n, err
}

func (b *cappedBody) tooLarge() error {
	b.tripped.Store(true)
	return &TooLargeError{Which: b.which, Limit: b.limit}
}
