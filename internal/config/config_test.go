package config

import (
	"strings"
	"testing"
	"time"
)

func TestAdminTokenStrength(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		token string
		ok    bool
	}{
		{"", true}, // unset: a key is generated
		{"pb_7t6C2MNZK5yePnlfwMB7rXovMrJpgI1Up", true},                             // the generated format
		{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", true}, // openssl rand -hex 32
		{"0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", true},                                 // openssl rand -hex 16
		{"q2Lr8y+Xw3hJ0uKZ5bT1nVv9sF7aPc4eD6gM2iO8kRE=", true},                     // openssl rand -base64 32
		{"admin", false},
		{"pb_admin", false},
		{"pb_test_owner_key_0123456789abcdef", false}, // readable, with a counting run
		{"passwordpasswordpasswordpassword", false},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"abcdefghijklmnopqrstuvwxyzABCDEF", false},
		{"0123456789012345678901234567890123", false},
		{"correct horse battery staple and more words", false}, // spaces are no token characters
		{"9f86d081884c7d659a2feaa0c55ad01", false},             // 31 hex digits
	} {
		cfg := Config{AdminToken: tc.token}.WithDefaults()
		err := cfg.Validate()
		if tc.ok && err != nil {
			t.Errorf("%q refused: %v", tc.token, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "PLUGBOARD_ADMIN_TOKEN") || !strings.Contains(err.Error(), "openssl rand")) {
			t.Errorf("%q: error %v, want one naming PLUGBOARD_ADMIN_TOKEN and saying what to set", tc.token, err)
		}
	}
}

func TestMetricsSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		cfg     Config
		problem string
	}{
		{"a strong token", Config{MetricsToken: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}, ""},
		{"a weak token", Config{MetricsToken: "metrics"}, "PLUGBOARD_METRICS_TOKEN"},
		{"a private address", Config{MetricsAddr: "10.0.0.5:9090"}, ""},
		{"an address without a port", Config{MetricsAddr: "10.0.0.5"}, "metrics-addr"},
		{"the main address", Config{Addr: "127.0.0.1:8080", MetricsAddr: "127.0.0.1:8080"}, "must differ from addr"},
	} {
		err := tc.cfg.WithDefaults().Validate()
		if tc.problem == "" && err != nil || tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.problem)
		}
	}
}

func TestMCPTokenLifetime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lifetime time.Duration
		problem  string
	}{
		{0, ""}, // the default, an hour
		{time.Second, ""},
		{24 * time.Hour, ""},
		{500 * time.Millisecond, "mcp-token-lifetime"},
		{25 * time.Hour, "mcp-token-lifetime"},
		{-time.Minute, "mcp-token-lifetime"},
	} {
		cfg := Config{MCPTokenLifetime: tc.lifetime}.WithDefaults()
		err := cfg.Validate()
		if tc.problem == "" && err != nil || tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)) {
			t.Errorf("%s: %v, want %q", tc.lifetime, err, tc.problem)
		}
	}
	if got := (Config{}).WithDefaults().MCPTokenLifetime; got != time.Hour {
		t.Errorf("default = %s, want 1h", got)
	}
}

func TestToolSearchThreshold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		threshold int
		problem   string
	}{
		{0, ""}, // the default, 40
		{1, ""},
		{5000, ""},
		{-3, "tool-search-threshold"},
	} {
		err := Config{ToolSearchThreshold: tc.threshold}.WithDefaults().Validate()
		if tc.problem == "" && err != nil || tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)) {
			t.Errorf("%d: %v, want %q", tc.threshold, err, tc.problem)
		}
	}
	if got := (Config{}).WithDefaults().ToolSearchThreshold; got != 40 {
		t.Errorf("default = %d, want 40", got)
	}
}
