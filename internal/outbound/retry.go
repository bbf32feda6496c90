package outbound

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/plugboard/plugboard/internal/netguard"
)

// Backoff returns the wait before retry number retry (0 for the first retry)
// using full jitter: a uniform pick in [0, min(maxDelay, base·2^retry)].
// randN returns a uniform integer in [0, n), like math/rand/v2's Int64N;
// tests pass a fixed one.
func Backoff(retry int, base, maxDelay time.Duration, randN func(n int64) int64) time.Duration {
	ceiling := maxDelay
	if retry >= 0 && retry < 63 && base <= maxDelay>>retry {
		ceiling = base << retry
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(randN(int64(ceiling) + 1))
}

// parseRetryAfter reads a Retry-After header, either delay-seconds or an
// HTTP date. A date in the past means no wait.
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(value, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	if when, err := http.ParseTime(value); err == nil {
		return max(when.Sub(now), 0), true
	}
	return 0, false
}

// idempotent lists the methods RFC 9110 lets a client repeat safely.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	return false
}

// retryableStatus lists the answers that mean "try again later".
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableError reports whether a failed attempt is a transient connection
// problem. Anything not known to be transient is final: a refused address,
// a certificate problem or a body over the cap will not change on retry.
func retryableError(err error) bool {
	var (
		blocked   *netguard.BlockedError
		tooLarge  *TooLargeError
		prepare   *prepareError
		certErr   *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		alert     tls.AlertError
		dnsErr    *net.DNSError
	)
	switch {
	case errors.As(err, &blocked), errors.As(err, &tooLarge), errors.As(err, &prepare),
		errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalid), errors.As(err, &record), errors.As(err, &alert),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &dnsErr):
		return !dnsErr.IsNotFound
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}
