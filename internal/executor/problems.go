package executor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/netguard"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/problem"
)

// credentialsError marks a connection whose credentials cannot be applied
// to a request, which no retry fixes.
type credentialsError struct {
	env string
	err error
}

func (e *credentialsError) Error() string { return "apply credentials: " + e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// callProblem turns an outbound failure into what the caller can act on.
// The error itself, with its addresses and Go error chain, is logged by
// send and kept as the problem's cause; the detail names only the API's
// host and what went wrong.
func callProblem(t *Target, s sendSpec, err error) error {
	host := hostOf(s.url)
	var (
		redirect *outbound.RedirectError
		blocked  *netguard.BlockedError
		tooLarge *outbound.TooLargeError
		creds    *credentialsError
	)
	switch {
	case errors.As(err, &redirect):
		return &problem.Error{Status: http.StatusBadGateway, Title: "Redirect refused", Detail: redirectDetail(t, redirect), Cause: err}
	case errors.As(err, &blocked):
		return &problem.Error{Status: http.StatusBadGateway, Title: "Destination refused", Detail: strings.TrimPrefix(blocked.Error(), "netguard: "), Cause: err}
	case errors.As(err, &tooLarge):
		status := http.StatusBadGateway
		if tooLarge.Which == "request" {
			status = http.StatusRequestEntityTooLarge
		}
		return &problem.Error{Status: status, Title: "Payload too large", Detail: strings.TrimPrefix(tooLarge.Error(), "outbound: "), Cause: err}
	case errors.Is(err, limit.ErrTooManyConcurrent):
		return &problem.Error{Status: http.StatusTooManyRequests, Title: "Too many concurrent calls",
			Detail: fmt.Sprintf("integration %q already has the maximum of concurrent calls in flight; retry shortly", t.Integration.Name), RetryAfter: time.Second, Cause: err}
	case errors.Is(err, outbound.ErrTimeout):
		return &problem.Error{Status: http.StatusGatewayTimeout, Title: "Upstream timeout",
			Detail: fmt.Sprintf("%s did not answer within %s", host, t.Definition.Timeout()), Cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &problem.Error{Status: http.StatusGatewayTimeout, Title: "Upstream timeout",
			Detail: fmt.Sprintf("the call ran out of time before %s answered", host), Cause: err}
	case errors.Is(err, context.Canceled):
		return &problem.Error{Status: 499, Title: "Client closed request", Detail: "the call was cancelled", Cause: err}
	case errors.As(err, &creds):
		return &problem.Error{Status: http.StatusConflict, Title: "Connection cannot authenticate",
			Detail: fmt.Sprintf("the %s connection of %q cannot authenticate: %v; update its credentials", creds.env, t.Integration.Name, creds.err), Cause: err}
	}
	if p, ok := problem.As(err); ok {
		return p
	}
	return &problem.Error{Status: http.StatusBadGateway, Title: "Upstream unreachable", Detail: networkDetail(host, err), Cause: err}
}

// networkDetail says why the API could not be reached, in words that point
// at the fix: the base URL's host, the API's server, or a retry later.
func networkDetail(host string, err error) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		name := dnsErr.Name
		if name == "" {
			name = hostname(host)
		}
		if dnsErr.IsNotFound {
			return fmt.Sprintf("could not resolve host %s: no such host; check the base URL", name)
		}
		return fmt.Sprintf("could not resolve host %s right now; retry later", name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused by %s; check the base URL and that the API is up", host)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return fmt.Sprintf("the upstream closed the connection (%s) before answering; retry later", host)
	}
	if reason := tlsReason(host, err); reason != "" {
		return fmt.Sprintf("could not open a secure connection to %s: %s", host, reason)
	}
	if errors.As(err, &opErr) && opErr.Timeout() {
		return fmt.Sprintf("could not connect to %s in time; retry later", host)
	}
	return fmt.Sprintf("could not reach %s; the error was logged", host)
}

// tlsReason names a failed TLS handshake's cause, or returns "".
func tlsReason(host string, err error) string {
	var (
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		alert     tls.AlertError
	)
	switch {
	case errors.As(err, &unknownCA):
		return "its certificate is signed by an unknown authority"
	case errors.As(err, &hostErr):
		return fmt.Sprintf("its certificate is not valid for %s", hostname(host))
	case errors.As(err, &invalid):
		return "its certificate is invalid or expired"
	case errors.As(err, &record):
		return "it does not speak TLS on that port; check whether the base URL should start with http://"
	case errors.As(err, &alert):
		return "it refused the TLS handshake"
	}
	return ""
}

// hostOf is the host and port a URL reaches, the port written out.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the upstream"
	}
	if u.Port() != "" {
		return u.Host
	}
	port := "443"
	if u.Scheme == "http" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func hostname(hostPort string) string {
	if h, _, err := net.SplitHostPort(hostPort); err == nil {
		return h
	}
	return hostPort
}

// redirectDetail says which redirect was not followed and what to change.
func redirectDetail(t *Target, e *outbound.RedirectError) string {
	switch e.Reason {
	case outbound.TooManyRedirects:
		return fmt.Sprintf("the upstream redirected more than %d times; call the final URL directly", e.Limit)
	case outbound.InsecureRedirect:
		return fmt.Sprintf("the upstream redirected from https to plain http (%s); Plugboard does not send a call over plain http once it started on https", e.To)
	}
	if t.Definition.Redirects != connector.RedirectsSameOrigin {
		return fmt.Sprintf("the upstream redirected to another origin, %s, with the connection's credential in the URL; Plugboard does not follow such a redirect", e.To)
	}
	return fmt.Sprintf("the upstream redirected to another origin, %s; integration %q follows redirects only within %s. "+
		"To follow them, set \"redirects\": \"follow\" in its definition (credentials are never sent to another origin)", e.To, t.Integration.Name, e.From)
}
