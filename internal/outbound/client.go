package outbound

import (
	"crypto/tls"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/netguard"
)

// Client makes outbound HTTP calls within the limits of its [Config]. It is
// safe for concurrent use; build one per process and share it, so that all
// calls share its connection pool and concurrency limits.
type Client struct {
	cfg       Config
	guard     *netguard.Guard
	transport *http.Transport
	http      *http.Client
	randN     func(int64) int64
}

// New returns a Client for cfg, with defaults applied to unset fields.
func New(cfg Config) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:   cfg,
		guard: &netguard.Guard{AllowPrivate: cfg.AllowPrivate},
		randN: rand.Int64N,
	}
	c.transport = &http.Transport{
		// No proxy from the environment: a proxy would make the guard see
		// only the proxy's address, never the real destination.
		Proxy:                  nil,
		DialContext:            c.guard.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: cfg.RootCAs},
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           1024,
		MaxIdleConnsPerHost:    cfg.MaxConcurrent,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 1 << 20,
	}
	c.http = &http.Client{Transport: c.transport, CheckRedirect: c.checkRedirect}
	return c, nil
}

// HTTPClient returns a plain *http.Client for libraries that need one, such
// as OAuth token exchanges and OpenAPI document fetches. It shares the
// connection pool and applies the address guard, the redirect policy, the
// call timeout and both body caps, but neither retries nor the per-key
// concurrency limit. A response body over the cap fails on read with a
// *TooLargeError.
func (c *Client) HTTPClient() *http.Client {
	return &http.Client{
		Transport:     &cappedTransport{client: c},
		CheckRedirect: c.checkRedirect,
		Timeout:       c.cfg.Timeout,
	}
}

// Close drops idle connections. Calls in flight are not interrupted.
func (c *Client) Close() {
	c.transport.CloseIdleConnections()
}

// cappedTransport adds the body caps to the shared transport.
type cappedTransport struct{ client *Client }

func (t *cappedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	cfg := t.client.cfg
	if req.ContentLength > cfg.MaxRequestBytes {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &TooLargeError{Which: "request", Limit: cfg.MaxRequestBytes}
	}
	var streamed *cappedBody
	if req.ContentLength <= 0 && req.Body != nil && req.Body != http.NoBody {
		// A body of unknown length (net/http reads 0 with a body as
		// unknown) is cut off at the cap. A server
		// may answer the truncated request before the transport reports the
		// failed write, so the cut is checked again after the round trip.
		streamed = &cappedBody{ReadCloser: req.Body, which: "request", left: cfg.MaxRequestBytes, limit: cfg.MaxRequestBytes}
		req = req.Clone(req.Context()) // RoundTrip must not modify req
		req.Body = streamed
	}
	resp, err := t.client.transport.RoundTrip(req)
	if streamed != nil && streamed.tripped.Load() {
		if err == nil {
			resp.Body.Close()
		}
		return nil, &TooLargeError{Which: "request", Limit: cfg.MaxRequestBytes}
	}
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > cfg.MaxResponseBytes {
		resp.Body.Close()
		return nil, &TooLargeError{Which: "response", Limit: cfg.MaxResponseBytes}
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, which: "response", left: cfg.MaxResponseBytes, limit: cfg.MaxResponseBytes}
	return resp, nil
}
