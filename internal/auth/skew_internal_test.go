package auth

import (
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/connector"
)

func TestSkewIsAtMostHalfTheLifetime(t *testing.T) {
	t.Parallel()
	p := &Provider{oauth: OAuthOptions{}.withDefaults()}
	issued := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tok := func(lifetime time.Duration, withIssued bool) sealed {
		s := sealed{Credentials: connector.Credentials{AccessToken: "a", Expiry: issued.Add(lifetime)}}
		if withIssued {
			s.IssuedAt = issued
		}
		return s
	}
	for _, c := range []struct {
		name     string
		s        sealed
		at       time.Duration // after issue
		wantUsed bool
	}{
		{"hour-long token well before expiry", tok(time.Hour, true), 58 * time.Minute, true},
		{"hour-long token within the 60s skew", tok(time.Hour, true), 59*time.Minute + 1*time.Second, false},
		{"10s token before half its life", tok(10*time.Second, true), 4 * time.Second, true},
		{"10s token past half its life", tok(10*time.Second, true), 6 * time.Second, false},
		{"unknown issue time uses the full skew", tok(90*time.Second, false), 31 * time.Second, false},
		{"no expiry is used until refused", sealed{Credentials: connector.Credentials{AccessToken: "a"}}, 1000 * time.Hour, true},
		{"no token", sealed{}, 0, false},
	} {
		if got := p.usable(c.s, issued.Add(c.at)); got != c.wantUsed {
			t.Errorf("%s: usable = %v, want %v", c.name, got, c.wantUsed)
		}
	}
}
