// Package config holds the server's settings. It is built once by the CLI
// from flags and PLUGBOARD_* environment variables and passed down; no
// package reads the environment on its own.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Config is everything `plugboard serve` needs.
type Config struct {
	// Addr is the listen address. Defaults to 127.0.0.1:8080.
	Addr string
	// DataDir holds the SQLite database and the generated secret key.
	// Defaults to ./data.
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://…). Defaults to empty:
	// SQLite in DataDir.
	DatabaseURL string
	// RedisURL, when set, makes rate and concurrency limits cluster-wide.
	RedisURL string
	// AdminToken becomes the owner API key of the first organization on
	// first start. It must be in the generated key format or at least 32
	// random characters. Defaults to a generated key, printed once.
	AdminToken string
	// AllowPrivateNetworks lets outbound calls reach loopback and private
	// addresses. Defaults to false.
	AllowPrivateNetworks bool
	// SecretKey is the base64 master key for credentials. Defaults to a key
	// generated into DataDir/secret.key.
	SecretKey string
	// SecretKeyPrevious are older master keys still accepted for opening.
	SecretKeyPrevious []string
	// PublicURL is how the outside world reaches this server (webhook URLs,
	// OAuth callbacks, dashboard links). Defaults to http://<Addr>.
	PublicURL string
	// TrustedProxies are CIDRs whose X-Forwarded-For is believed.
	TrustedProxies []string
	// LogLevel is debug, info, warn or error. Defaults to info.
	LogLevel string
	// LogFormat is text or json. Defaults to text.
	LogFormat string
	// ShutdownTimeout bounds the graceful stop. Defaults to 20s.
	ShutdownTimeout time.Duration
	// CallTimeout is the longest an outbound API call may take. Defaults
	// to 30s.
	CallTimeout time.Duration
	// OTLPEndpoint, when set (http://collector:4318), exports traces over
	// OTLP/HTTP. Defaults to empty: spans are not exported.
	OTLPEndpoint string
	// OAuthRefreshSkew is how long before expiry OAuth 2.0 access tokens
	// are refreshed, at most half a token's lifetime. Defaults to 60s.
	OAuthRefreshSkew time.Duration
	// MetricsToken is the bearer token GET /metrics on the main address
	// requires, in the generated key format or at least 32 random
	// characters. Defaults to empty: /metrics on the main address answers
	// 401.
	MetricsToken string
	// MetricsAddr is a second listen address serving GET /metrics without
	// a token, for a private scrape network. Defaults to empty: none.
	MetricsAddr string
	// MetricsTenantLabels labels action metrics with integration slugs and
	// action keys, names tenants choose, which every reader of the metrics
	// then sees. Defaults to false: series carry the integration's id.
	MetricsTenantLabels bool
	// Pprof serves Go's profiles (/debug/pprof/) on MetricsAddr, the
	// private address; it needs MetricsAddr.
	Pprof bool
	// BodyTimeout is how long a request body may take to arrive (webhook
	// deliveries, API and dashboard bodies, MCP messages); a slower one is
	// answered 408 and its connection closed. The answer after the body
	// may take longer (long polls, event streams). Defaults to 30s.
	BodyTimeout time.Duration
	// RateLimitWait is how long an action call may wait for an API's
	// announced rate-limit window to reset before it is answered 429.
	RateLimitWait time.Duration
	// ApprovalTTL is how long a call that needs approval waits for a
	// decision before it expires. Defaults to 24 hours.
	ApprovalTTL time.Duration
	// ApprovalWait is how long an MCP tool call waits for a decision after
	// the client opened the approval page, before it answers that the
	// call is still waiting. Defaults to 60s.
	ApprovalWait time.Duration
	// ApprovalPoll is how often a trigger run waiting for approval looks
	// whether it was decided. Defaults to 15s.
	ApprovalPoll time.Duration
	// MCPSessionIdle closes an MCP session that has seen no request for
	// this long. Defaults to 10 minutes.
	MCPSessionIdle time.Duration
	// MCPSessionsPerAgent caps the open MCP sessions of one agent on a
	// node; opening one more closes the agent's oldest. Defaults to 16.
	MCPSessionsPerAgent int
	// MCPTokenLifetime is how long an access token of a connected app (an
	// MCP client a person signed in with OAuth) works before the app must
	// refresh it. Defaults to 1 hour.
	MCPTokenLifetime time.Duration
	// ToolSearchThreshold is the number of tools above which an agent in
	// the auto tool mode is shown the search tools (search, describe, call)
	// instead of every tool; an agent may set its own. Defaults to 40.
	ToolSearchThreshold int
	// CAFile is a PEM file of certificate authorities that outbound https
	// calls trust besides the system's: for an on-premises API, or an MCP
	// client's metadata document, served with a certificate of a private
	// CA. Defaults to none.
	CAFile string
	// JobTimeout bounds one background job such as a webhook trigger run.
	// A job still marked running a while after it (because its node died)
	// is run again. Defaults to 2 × CallTimeout + 15s.
	JobTimeout time.Duration
	// PruneInterval is how often rows past their organization's retention
	// (events, call logs, idempotency records, expired sessions and OAuth
	// states) are pruned, on one node of a cluster. Defaults to 10m; a
	// negative value turns pruning off and storage grows without bound.
	PruneInterval time.Duration
}

// WithDefaults returns a copy with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 20 * time.Second
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = 30 * time.Second
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = 2*c.CallTimeout + 15*time.Second
	}
	if c.PruneInterval == 0 {
		c.PruneInterval = 10 * time.Minute
	}
	if c.RateLimitWait == 0 {
		c.RateLimitWait = 10 * time.Second
	}
	if c.ApprovalTTL == 0 {
		c.ApprovalTTL = 24 * time.Hour
	}
	if c.ApprovalWait == 0 {
		c.ApprovalWait = time.Minute
	}
	if c.ApprovalPoll == 0 {
		c.ApprovalPoll = 15 * time.Second
	}
	if c.BodyTimeout == 0 {
		c.BodyTimeout = 30 * time.Second
	}
	if c.MCPSessionIdle == 0 {
		c.MCPSessionIdle = 10 * time.Minute
	}
	if c.MCPSessionsPerAgent == 0 {
		c.MCPSessionsPerAgent = 16
	}
	if c.MCPTokenLifetime == 0 {
		c.MCPTokenLifetime = time.Hour
	}
	if c.ToolSearchThreshold == 0 {
		c.ToolSearchThreshold = 40
	}
	if c.OAuthRefreshSkew == 0 {
		c.OAuthRefreshSkew = 60 * time.Second
	}
	if c.PublicURL == "" {
		host, port, err := net.SplitHostPort(c.Addr)
		if err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
			host = "127.0.0.1"
		}
		if err == nil {
			c.PublicURL = "http://" + net.JoinHostPort(host, port)
		}
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// Validate reports every invalid field, naming it.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want host:port, e.g. 127.0.0.1:8080", c.Addr))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("database-url: must be a postgres:// URL, or empty for SQLite"))
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		errs = append(errs, errors.New("redis-url: must be a redis:// or rediss:// URL"))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("public-url %q: want an absolute http(s) URL", c.PublicURL))
	}
	for _, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				errs = append(errs, fmt.Errorf("trusted-proxies: %q is neither a CIDR nor an IP address", p))
			}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log-format %q: want text or json", c.LogFormat))
	}
	if c.AdminToken != "" && !strongSecret(c.AdminToken) {
		errs = append(errs, errors.New("admin-token (PLUGBOARD_ADMIN_TOKEN): too weak to be the owner's API key; "+
			"set a key in the generated format (pb_ and 33 letters and digits) or at least 32 random characters (e.g. the output of `openssl rand -hex 32`), "+
			"or leave it unset to have a key generated and printed once"))
	}
	if c.MetricsToken != "" && !strongSecret(c.MetricsToken) {
		errs = append(errs, errors.New("metrics-token (PLUGBOARD_METRICS_TOKEN): too weak to guard the metrics; "+
			"set at least 32 random characters (e.g. the output of `openssl rand -hex 32`)"))
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("metrics-addr %q: want host:port on a private network, e.g. 10.0.0.5:9090", c.MetricsAddr))
		} else if c.MetricsAddr == c.Addr {
			errs = append(errs, fmt.Errorf("metrics-addr %q: must differ from addr, which serves metrics only with the token", c.MetricsAddr))
		}
	}
	if c.Pprof && c.MetricsAddr == "" {
		errs = append(errs, errors.New("pprof: profiles are served only on the private metrics address; set metrics-addr (PLUGBOARD_METRICS_ADDR) too"))
	}
	if c.ApprovalTTL < 0 || c.ApprovalWait < 0 {
		errs = append(errs, fmt.Errorf("approval-ttl %s, approval-wait %s: must be positive, e.g. 24h and 60s", c.ApprovalTTL, c.ApprovalWait))
	}
	if c.RateLimitWait < 0 {
		errs = append(errs, fmt.Errorf("rate-limit-wait %s: must be positive, e.g. 10s", c.RateLimitWait))
	}
	if c.BodyTimeout < 0 {
		errs = append(errs, fmt.Errorf("body-timeout %s: must be positive, e.g. 30s", c.BodyTimeout))
	}
	if c.MCPSessionIdle < 0 {
		errs = append(errs, fmt.Errorf("mcp-session-idle %s: must be positive, e.g. 10m", c.MCPSessionIdle))
	}
	if c.MCPSessionsPerAgent < 0 {
		errs = append(errs, fmt.Errorf("mcp-sessions-per-agent %d: must be at least 1", c.MCPSessionsPerAgent))
	}
	if c.ToolSearchThreshold < 1 {
		errs = append(errs, fmt.Errorf("tool-search-threshold %d: must be at least 1, e.g. 40", c.ToolSearchThreshold))
	}
	if c.MCPTokenLifetime < time.Second || c.MCPTokenLifetime > 24*time.Hour {
		errs = append(errs, fmt.Errorf("mcp-token-lifetime %s: must be between 1s and 24h, e.g. 1h", c.MCPTokenLifetime))
	}
	if c.CallTimeout <= 0 || c.CallTimeout > 30*time.Second {
		errs = append(errs, fmt.Errorf("call-timeout %s: must be between 1ms and 30s", c.CallTimeout))
	}
	return errors.Join(errs...)
}
