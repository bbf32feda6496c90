package trigger

import (
	"encoding/json"
	"testing"
	"time"
)

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	p, err := ParseRetryPolicy(nil)
	if err != nil || p.MaxAttempts != 8 || time.Duration(p.InitialDelay) != 30*time.Second || time.Duration(p.MaxDelay) != 12*time.Hour {
		t.Fatalf("defaults = %+v, %v", p, err)
	}
	// Full jitter: each wait lies in [0, ceiling], ceilings grow fourfold
	// to the cap, and the eight attempts of the default span about a day.
	var total time.Duration
	for attempt := 1; attempt < p.MaxAttempts; attempt++ {
		ceiling := min(30*time.Second<<(2*(attempt-1)), 12*time.Hour)
		total += ceiling
		for range 200 {
			if d := p.Delay(attempt, 0); d < 0 || d > ceiling {
				t.Fatalf("attempt %d: delay %s outside [0, %s]", attempt, d, ceiling)
			}
		}
	}
	if total < 20*time.Hour || total > 26*time.Hour {
		t.Fatalf("the default schedule spans up to %s, want about a day", total)
	}
	if d := p.Delay(1, 90*time.Second); d != 90*time.Second {
		t.Fatalf("Retry-After 90s gave %s", d)
	}
	if d := p.Delay(1, 48*time.Hour); d != 12*time.Hour {
		t.Fatalf("Retry-After beyond max_delay gave %s", d)
	}
	for status, want := range map[int]bool{0: true, 500: true, 503: true, 408: true, 409: true, 429: true, 400: false, 401: false, 404: false, 422: false} {
		if Retryable(status) != want {
			t.Errorf("Retryable(%d) = %v", status, !want)
		}
	}
	var custom RetryPolicy
	if err := json.Unmarshal([]byte(`{"max_attempts": 3, "initial_delay": "1s", "max_delay": 60}`), &custom); err != nil ||
		time.Duration(custom.MaxDelay) != time.Minute || custom.WithDefaults().Validate() != nil {
		t.Fatalf("custom = %+v, %v", custom, err)
	}
	for _, bad := range []string{`{"max_attempts": 0, "initial_delay": "-1s"}`, `{"max_attempts": 99}`, `{"initial_delay": "1h", "max_delay": "1m"}`} {
		if _, err := ParseRetryPolicy([]byte(bad)); err == nil {
			t.Errorf("policy %s accepted", bad)
		}
	}
	if got := retryAfter("120", time.Now()); got != 2*time.Minute {
		t.Fatalf("retryAfter(120) = %s", got)
	}
}
