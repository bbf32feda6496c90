package trigger

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/outbound"
)

// RetryPolicy is how a webhook's failed trigger runs are retried. The JSON
// form is what the REST API accepts as "retry".
type RetryPolicy struct {
	// MaxAttempts counts every attempt, the first included. Defaults to 8.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// InitialDelay is the ceiling of the first retry's wait; each later
	// ceiling is four times the previous one. Defaults to 30s.
	InitialDelay Duration `json:"initial_delay,omitempty"`
	// MaxDelay caps any single wait, Retry-After included. Defaults to 12h.
	MaxDelay Duration `json:"max_delay,omitempty"`
}

// With the defaults the ceilings are 30s, 2m, 8m, 32m, 2h8m, 8h32m and 12h:
// eight attempts spread over up to about a day.
const (
	defaultMaxAttempts  = 8
	defaultInitialDelay = 30 * time.Second
	defaultMaxDelay     = 12 * time.Hour
)

// WithDefaults fills the unset fields.
func (p RetryPolicy) WithDefaults() RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = defaultMaxAttempts
	}
	if p.InitialDelay == 0 {
		p.InitialDelay = Duration(defaultInitialDelay)
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = Duration(max(defaultMaxDelay, time.Duration(p.InitialDelay)))
	}
	return p
}

// Validate names the field that is out of range.
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxAttempts < 1 || p.MaxAttempts > 50:
		return fmt.Errorf("retry.max_attempts must be between 1 and 50, got %d", p.MaxAttempts)
	case p.InitialDelay <= 0:
		return fmt.Errorf("retry.initial_delay must be positive, got %s", time.Duration(p.InitialDelay))
	case p.MaxDelay < p.InitialDelay:
		return fmt.Errorf("retry.max_delay (%s) must not be below retry.initial_delay (%s)", time.Duration(p.MaxDelay), time.Duration(p.InitialDelay))
	case time.Duration(p.MaxDelay) > 7*24*time.Hour:
		return fmt.Errorf("retry.max_delay must be at most 168h, got %s", time.Duration(p.MaxDelay))
	}
	return nil
}

// ParseRetryPolicy reads a stored policy ("{}" or empty = defaults).
func ParseRetryPolicy(raw []byte) (RetryPolicy, error) {
	var p RetryPolicy
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &p); err != nil {
			return p, fmt.Errorf("retry: %w", err)
		}
	}
	p = p.WithDefaults()
	return p, p.Validate()
}

// Delay is the wait after failed attempt number attempt (1-based): a
// uniform pick in [0, min(MaxDelay, InitialDelay·4^(attempt-1))] (full
// jitter), or the server's Retry-After when it asked for one, capped at
// MaxDelay.
func (p RetryPolicy) Delay(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, time.Duration(p.MaxDelay))
	}
	// Backoff doubles per step; two steps per attempt make the factor four.
	return outbound.Backoff(2*(attempt-1), time.Duration(p.InitialDelay), time.Duration(p.MaxDelay), rand.Int64N)
}

// Retryable reports whether an attempt that ended with HTTP status (0 for
// no response) is worth repeating: network errors, timeouts, 408, 409, 429
// and 5xx are; any other 4xx will fail the same way again.
func Retryable(status int) bool {
	switch {
	case status == 0, status >= 500, status == http.StatusRequestTimeout, status == http.StatusConflict, status == http.StatusTooManyRequests:
		return true
	}
	return false
}

// retryAfter reads a Retry-After header value (seconds or an HTTP date).
func retryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(value, 10, 32); err == nil {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(at.Sub(now), 0)
	}
	return 0
}

// Duration is a time.Duration written as text in JSON ("30s", "2h").
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "30s"-style text or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err := json.Unmarshal(b, &secs); err != nil {
			return fmt.Errorf("a duration is text like \"30s\" or \"2h\", or a number of seconds")
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("a duration is text like \"30s\" or \"2h\": %w", err)
	}
	*d = Duration(v)
	return nil
}
