package sdk

import (
	"log/slog"
	"net/http"
	"os"
	"time"
)

// Option configures [Integration.Serve].
type Option func(*config)

type config struct {
	server, token string
	concurrency   int
	logger        *slog.Logger
	client        *http.Client
	drain         time.Duration
	name          string
	retries       int
	pollWait      time.Duration
}

func defaults() config {
	host, _ := os.Hostname()
	return config{
		server: os.Getenv("PLUGBOARD_SERVER"), token: os.Getenv("PLUGBOARD_TOKEN"),
		concurrency: 10, logger: slog.Default(), client: &http.Client{}, drain: 30 * time.Second,
		name: host, retries: 3, pollWait: 20 * time.Second,
	}
}

// Server is the Plugboard server's URL, like https://plugboard.example.com.
// The default is the PLUGBOARD_SERVER environment variable.
func Server(url string) Option { return func(c *config) { c.server = url } }

// Token is the API key the worker signs in with: a key of the
// organization with the developer role or above. The default is the
// PLUGBOARD_TOKEN environment variable.
func Token(key string) Option { return func(c *config) { c.token = key } }

// Concurrency is how many invocations the worker runs at once (default 10).
func Concurrency(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.concurrency = n
		}
	}
}

// Logger receives the worker's logs (default slog.Default()). Each
// action's [Call.Logger] adds the invocation's attributes to it.
func Logger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// HTTPClient is the client the worker reaches the server with (for
// proxies, custom TLS or tests). It must not set a Timeout shorter than
// the long poll (20 s); deadlines come from the worker itself.
func HTTPClient(hc *http.Client) Option {
	return func(c *config) {
		if hc != nil {
			c.client = hc
		}
	}
}

// DrainTimeout is how long Serve waits, once its context ends, for the
// invocations in flight to finish (default 30 s). Those still running
// then are cancelled and handed back to the server, which gives them to
// another worker.
func DrainTimeout(d time.Duration) Option { return func(c *config) { c.drain = max(d, 0) } }

// WorkerName names this worker in the dashboard (default the host name).
func WorkerName(name string) Option { return func(c *config) { c.name = name } }

// Retries is how many times in all an action's idempotent HTTP request
// (GET, HEAD, OPTIONS, PUT, DELETE, or any with an Idempotency-Key
// header) is sent when it fails transiently (default 3; 1 disables).
func Retries(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.retries = n
		}
	}
}
