package outbound

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"time"

	"github.com/plugboard/plugboard/internal/limit"
)

// Config tunes a [Client]. The zero value, after [Config.WithDefaults], gives
// the limits of the product's plans.
type Config struct {
	// Timeout bounds one call from start to finish: waiting for a
	// concurrency slot, every attempt and every wait between attempts.
	// Defaults to 30 s.
	Timeout time.Duration

	// MaxRequestBytes caps the request body. Defaults to 10 MiB.
	MaxRequestBytes int64

	// MaxResponseBytes caps the response body. Defaults to 10 MiB.
	MaxResponseBytes int64

	// MaxConcurrent caps the calls in flight per [Request.Key]. Defaults to
	// 100.
	MaxConcurrent int

	// ConcurrencyWait is how long a call over MaxConcurrent waits for a slot
	// before failing with limit.ErrTooManyConcurrent. Defaults to 2 s.
	ConcurrencyWait time.Duration

	// MaxAttempts is the number of tries for a retryable call, the first
	// included; 1 disables retries. Defaults to 3.
	MaxAttempts int

	// BaseDelay is the ceiling of the first backoff; each retry doubles it.
	// Defaults to 200 ms.
	BaseDelay time.Duration

	// MaxDelay caps the backoff ceiling. Defaults to 10 s.
	MaxDelay time.Duration

	// MaxRetryAfter is the longest Retry-After the client will wait out;
	// a server asking for longer gets its response returned instead.
	// Defaults to 30 s.
	MaxRetryAfter time.Duration

	// MaxRedirects is how many redirects a call follows. A negative value
	// follows none and returns the redirect response. Defaults to 10.
	MaxRedirects int

	// AllowPrivate lets calls reach private, loopback and link-local
	// addresses, for local development and on-premises APIs. Defaults to
	// false.
	AllowPrivate bool

	// RootCAs are the certificate authorities https calls trust. Defaults
	// to the system's.
	RootCAs *x509.CertPool

	// Concurrency enforces MaxConcurrent; pass a Redis-backed one to hold
	// the cap across nodes. Defaults to an in-memory limit.LocalConcurrency.
	Concurrency limit.Concurrency

	// Logger receives a debug record for each retry. Defaults to
	// slog.Default().
	Logger *slog.Logger
}

// WithDefaults returns a copy of c with every unset field given its default.
func (c Config) WithDefaults() Config {
	const mib = 1 << 20
	setDefault(&c.Timeout, 30*time.Second)
	setDefault(&c.MaxRequestBytes, 10*mib)
	setDefault(&c.MaxResponseBytes, 10*mib)
	setDefault(&c.MaxConcurrent, 100)
	setDefault(&c.ConcurrencyWait, 2*time.Second)
	setDefault(&c.MaxAttempts, 3)
	setDefault(&c.BaseDelay, 200*time.Millisecond)
	setDefault(&c.MaxDelay, 10*time.Second)
	setDefault(&c.MaxRetryAfter, 30*time.Second)
	setDefault(&c.MaxRedirects, 10)
	if c.Concurrency == nil {
		c.Concurrency = limit.NewLocalConcurrency()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// validate reports the first field that cannot work, by name.
func (c Config) validate() error {
	positive := []struct {
		name string
		ok   bool
	}{
		{"Timeout", c.Timeout > 0},
		{"MaxRequestBytes", c.MaxRequestBytes > 0},
		{"MaxResponseBytes", c.MaxResponseBytes > 0},
		{"MaxConcurrent", c.MaxConcurrent > 0},
		{"ConcurrencyWait", c.ConcurrencyWait > 0},
		{"MaxAttempts", c.MaxAttempts > 0},
		{"BaseDelay", c.BaseDelay > 0},
		{"MaxDelay", c.MaxDelay > 0},
		{"MaxRetryAfter", c.MaxRetryAfter > 0},
	}
	for _, p := range positive {
		if !p.ok {
			return fmt.Errorf("outbound: Config.%s must be positive", p.name)
		}
	}
	if c.MaxDelay < c.BaseDelay {
		return fmt.Errorf("outbound: Config.MaxDelay (%s) must not be below Config.BaseDelay (%s)", c.MaxDelay, c.BaseDelay)
	}
	return nil
}
