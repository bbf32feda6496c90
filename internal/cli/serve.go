package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/logging"
	"github.com/plugboard/plugboard/internal/server"
	"github.com/plugboard/plugboard/internal/telemetry"
	"github.com/plugboard/plugboard/internal/version"
)

func (a *app) serveCmd() *cobra.Command {
	var cfg config.Config
	var previous, proxies string
	var gcPercent int
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server: API, dashboard, webhooks, MCP and workers",
		Long: `Run a Plugboard node. With no database URL it keeps everything in SQLite
under --data-dir. With --database-url postgres://… any number of nodes share
one PostgreSQL database. Every flag can also be set as PLUGBOARD_<FLAG>.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if gcPercent <= 0 {
				return usageError{fmt.Errorf("--gc-percent must be above 0, got %d (set GOGC=off to turn the collector off)", gcPercent)}
			}
			tuneGC(gcPercent)
			cfg.SecretKeyPrevious = splitList(previous)
			cfg.TrustedProxies = splitList(proxies)
			cfg = cfg.WithDefaults()
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
			logger := logging.New(a.stderr, level, cfg.LogFormat)
			// Libraries that log through slog's default (the OAuth
			// provider library) go through the same redacting logger,
			// their informational lines at debug level.
			slog.SetDefault(logging.Library(logger))
			stopTracing, err := telemetry.Setup(cmd.Context(), cfg.OTLPEndpoint, version.String)
			if err != nil {
				return usageError{err}
			}
			defer func() { _ = stopTracing(context.WithoutCancel(cmd.Context())) }()
			srv, err := server.New(cmd.Context(), cfg, logger, a.stdout)
			if err != nil {
				return err
			}
			return srv.Serve(cmd.Context())
		},
	}
	serverOnly(cmd)
	def := config.Config{}.WithDefaults()
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", def.Addr, "listen address")
	f.StringVar(&cfg.DataDir, "data-dir", def.DataDir, "folder for the SQLite database and the generated secret key")
	f.StringVar(&cfg.DatabaseURL, "database-url", "", "postgres://… to use PostgreSQL (default: SQLite in --data-dir)")
	f.StringVar(&cfg.RedisURL, "redis-url", "", "redis://… for cluster-wide rate and concurrency limits")
	f.StringVar(&cfg.AdminToken, "admin-token", "", "owner API key of the first organization, set on first start")
	f.BoolVar(&cfg.AllowPrivateNetworks, "allow-private-networks", false, "let outbound calls reach loopback and private addresses")
	f.StringVar(&cfg.SecretKey, "secret-key", "", "base64 master key for credentials (default: generated in --data-dir)")
	f.StringVar(&previous, "secret-key-previous", "", "comma-separated older master keys, still accepted for decryption")
	f.StringVar(&cfg.PublicURL, "public-url", "", "URL the outside world reaches this server at (default: http://<addr>)")
	f.StringVar(&proxies, "trusted-proxies", "", "comma-separated CIDRs whose X-Forwarded-For is trusted")
	f.StringVar(&cfg.LogLevel, "log-level", def.LogLevel, "debug, info, warn or error")
	f.StringVar(&cfg.LogFormat, "log-format", def.LogFormat, "text or json")
	f.StringVar(&cfg.OTLPEndpoint, "otlp-endpoint", "", "export traces over OTLP/HTTP to this URL (e.g. http://collector:4318)")
	f.DurationVar(&cfg.OAuthRefreshSkew, "oauth-refresh-skew", def.OAuthRefreshSkew, "refresh OAuth 2.0 tokens this long before they expire (at most half their lifetime)")
	f.StringVar(&cfg.MetricsToken, "metrics-token", "", "bearer token that GET /metrics on --addr requires (without it, and without --metrics-addr, /metrics answers 401)")
	f.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "second listen address serving /metrics without a token, for a private scrape network")
	f.BoolVar(&cfg.MetricsTenantLabels, "metrics-tenant-labels", false, "label action metrics with integration slugs and action keys (names tenants choose) besides integration ids")
	f.BoolVar(&cfg.Pprof, "pprof", false, "serve Go's CPU, heap and goroutine profiles at /debug/pprof/ on --metrics-addr (never on --addr)")
	f.DurationVar(&cfg.ApprovalTTL, "approval-ttl", def.ApprovalTTL, "how long a call that needs approval waits for a decision before it expires")
	f.DurationVar(&cfg.ApprovalWait, "approval-wait", def.ApprovalWait, "how long an MCP tool call waits for a decision once the client opened the approval page")
	f.DurationVar(&cfg.ApprovalPoll, "approval-poll", def.ApprovalPoll, "how often a trigger run waiting for approval looks whether it was decided")
	f.DurationVar(&cfg.RateLimitWait, "rate-limit-wait", def.RateLimitWait, "longest an action call waits for an API's announced rate-limit window to reset; past it the call is answered 429")
	f.DurationVar(&cfg.BodyTimeout, "body-timeout", def.BodyTimeout, "longest a request body may take to arrive; slower ones get 408 and the connection is closed")
	f.DurationVar(&cfg.MCPSessionIdle, "mcp-session-idle", def.MCPSessionIdle, "close an agent's MCP session after this long without a request")
	f.IntVar(&cfg.MCPSessionsPerAgent, "mcp-sessions-per-agent", def.MCPSessionsPerAgent, "open MCP sessions per agent on a node; one more closes the agent's oldest")
	f.DurationVar(&cfg.MCPTokenLifetime, "mcp-token-lifetime", def.MCPTokenLifetime, "how long an access token of an MCP client signed in with OAuth works before it must be refreshed")
	f.IntVar(&cfg.ToolSearchThreshold, "tool-search-threshold", def.ToolSearchThreshold, "an agent granted more tools than this is shown search, describe and call tools instead (unless it chose all or search)")
	f.StringVar(&cfg.CAFile, "ca-file", "", "PEM file of extra certificate authorities trusted for outbound https calls (APIs, MCP client metadata documents)")
	f.DurationVar(&cfg.JobTimeout, "job-timeout", 0, "longest a background job (a webhook trigger run) may take; a job interrupted by a crash is retried a little after it (default: 2 × call timeout + 15s)")
	f.DurationVar(&cfg.PruneInterval, "prune-interval", def.PruneInterval, "how often rows past their organization's retention are pruned; negative turns pruning off")
	f.IntVar(&gcPercent, "gc-percent", defaultGCPercent, "let the heap grow this many percent over the live data before Go collects garbage (GOGC, when set, wins); lower it to trade CPU for memory")
	return cmd
}

// defaultGCPercent is the server's garbage-collection target. Go's own
// default (100) collects whenever the heap doubles; under load a node's
// live heap is a few tens of MB while each call allocates a few KB, so
// collecting at 5× instead spends about a tenth less CPU per call for some
// tens of MB more memory (docs/benchmarks.md, docs/operations.md).
const defaultGCPercent = 400

// tuneGC sets the collector's target unless GOGC already did.
func tuneGC(percent int) {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	debug.SetGCPercent(percent)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// serverOnly keeps the client flags (--server, --token, --output), which a
// command that runs the server itself does not read, out of its help.
func serverOnly(cmd *cobra.Command) {
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		c.InheritedFlags().VisitAll(func(f *pflag.Flag) { f.Hidden = true })
		c.Parent().HelpFunc()(c, args)
	})
	cmd.SetUsageFunc(func(c *cobra.Command) error {
		c.InheritedFlags().VisitAll(func(f *pflag.Flag) { f.Hidden = true })
		return c.Parent().UsageFunc()(c)
	})
}
