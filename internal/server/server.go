// Package server wires Plugboard together: it opens the store, the vault,
// the outbound client and the executor, mounts the HTTP surfaces, and
// starts and stops the background workers in order.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/account"
	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/approval"
	"github.com/plugboard/plugboard/internal/auth"
	"github.com/plugboard/plugboard/internal/authserver"
	"github.com/plugboard/plugboard/internal/calllog"
	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/clientip"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/connectedapp"
	"github.com/plugboard/plugboard/internal/connection"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/idempotency"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/jobs"
	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/mcp"
	"github.com/plugboard/plugboard/internal/metrics"
	"github.com/plugboard/plugboard/internal/org"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/retention"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/trigger"
	"github.com/plugboard/plugboard/internal/vault"
	"github.com/plugboard/plugboard/internal/web"
	"github.com/plugboard/plugboard/internal/webhook"
	"github.com/plugboard/plugboard/internal/worker"
)

// Server is one Plugboard node.
type Server struct {
	cfg    config.Config
	logger *slog.Logger

	// The parts tests reach into.
	Store    *store.Store
	Vault    *vault.Keyring
	Auth     *auth.Provider
	Executor *executor.Executor
	Recorder *calllog.Recorder
	Webhooks *webhook.Service
	Workers  *worker.Service
	// Approvals parks the calls that need a person's approval.
	Approvals *approval.Service

	mcp         *mcp.Server
	metrics     *metrics.Metrics
	jobs        *jobs.Queue
	api         *api.API
	web         *web.Web
	authserver  *authserver.Server
	accounts    *account.Service
	closeLimits func() error
	handler     http.Handler
	background  sync.WaitGroup
	stopBg      context.CancelFunc
}

// New opens everything a node needs, each part built with its
// dependencies in order: the store and the outbound path, the rules, the
// executor, the application layer, then the surfaces that translate for
// it (REST, the dashboard, MCP, webhook ingest, the job queue's trigger
// runs). Console receives the one-time bootstrap message (the owner key
// and first sign-in link) on first start.
func New(ctx context.Context, cfg config.Config, logger *slog.Logger, console io.Writer) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	s := &Server{cfg: cfg, logger: logger}
	ok := false
	defer func() {
		if !ok {
			s.closeAll()
		}
	}()

	var err error
	if s.Vault, err = vault.Load(cfg.DataDir, cfg.SecretKey, cfg.SecretKeyPrevious); err != nil {
		return nil, err
	}
	if s.Store, err = store.Open(ctx, cfg.DatabaseURL, cfg.DataDir); err != nil {
		return nil, err
	}
	if err := checkKey(ctx, cfg, s.Store, s.Vault); err != nil {
		s.Store.Close()
		return nil, err
	}
	advice, err := s.Store.Advice(ctx)
	if err != nil {
		logger.WarnContext(ctx, "could not check the database's settings", "error", err)
	}
	for _, a := range advice {
		logger.WarnContext(ctx, a)
	}
	limits, err := limit.New(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	s.closeLimits = limits.Close
	roots, err := rootCAs(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	out, err := outbound.New(outbound.Config{Timeout: cfg.CallTimeout, AllowPrivate: cfg.AllowPrivateNetworks, Concurrency: limits.Concurrency, RootCAs: roots, Logger: logger})
	if err != nil {
		return nil, err
	}
	// OpenAPI documents are fetched through a client of their own: the
	// guard is the same, but a description may be larger than an action's
	// payload limit.
	docs, err := outbound.New(outbound.Config{
		Timeout: integration.ImportFetchTimeout, AllowPrivate: cfg.AllowPrivateNetworks,
		MaxResponseBytes: integration.MaxImportBytes, RootCAs: roots, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	s.metrics = metrics.New(metrics.Options{TenantLabels: cfg.MetricsTenantLabels})
	m := s.metrics
	s.Recorder = calllog.New(s.Store, logger)
	rules := access.New(s.Store)
	s.Auth = auth.NewProvider(s.Store, s.Vault, auth.OAuthOptions{
		HTTPClient: out.HTTPClient(), RedirectURL: cfg.PublicURL + "/oauth/callback", Skew: cfg.OAuthRefreshSkew,
	}, logger)
	s.Workers = worker.New(worker.Config{Store: s.Store, Rules: rules, Recorder: s.Recorder, Metrics: m, Logger: logger})
	s.Executor = executor.New(executor.Config{
		Store: s.Store, Auth: s.Auth, Outbound: out, Recorder: s.Recorder, Metrics: m, Logger: logger, Workers: s.Workers,
		Budget: limits.Budget, BudgetWait: cfg.RateLimitWait,
	})
	s.Approvals = approval.New(approval.Config{
		Store: s.Store, Vault: s.Vault, PublicURL: cfg.PublicURL, TTL: cfg.ApprovalTTL, Logger: logger,
		Notifier: &approval.Webhooks{Store: s.Store, Vault: s.Vault, Outbound: out, Logger: logger},
	})
	actions := action.New(action.Deps{
		Rules: rules, Executor: s.Executor, Idempotency: &idempotency.Runner{Store: s.Store, Logger: logger}, Workers: s.Workers, Store: s.Store,
		Approvals: s.Approvals, PublicURL: cfg.PublicURL, Logger: logger,
	})
	tools := agent.NewCatalog(s.Store, rules, s.Executor)
	search := agent.NewSearch(s.Store, tools, cfg.ToolSearchThreshold)
	// One resolver of client addresses for every per-address limit.
	clients, err := clientip.New(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	// Sign-in and key lockouts live in the account service, which every
	// surface asks; through Redis they hold on every node.
	s.accounts = account.New(account.Config{Store: s.Store, PublicURL: cfg.PublicURL, Failures: limits.Backoff, Logger: logger})
	// Connected apps' access tokens are checked on every /mcp request.
	verifier := connectedapp.NewVerifier(s.Store, rules, nil, logger)
	s.mcp = mcp.New(mcp.Config{
		Store: s.Store, Accounts: s.accounts, Apps: verifier, PublicURL: cfg.PublicURL,
		Catalog: tools, Search: search, Actions: actions, Approvals: s.Approvals, ApprovalWait: cfg.ApprovalWait, Clients: clients, Logger: logger,
		SessionTimeout: cfg.MCPSessionIdle, MaxSessionsPerAgent: cfg.MCPSessionsPerAgent, Metrics: m,
	})
	integrations := integration.New(integration.Deps{Store: s.Store, Rules: rules, Loader: s.Executor, Tools: s.mcp, Fetch: docs.HTTPClient(), Logger: logger})
	connections := connection.New(connection.Deps{Store: s.Store, Rules: rules, Loader: s.Executor, Auth: s.Auth, PublicURL: cfg.PublicURL, Logger: logger})
	agents := agent.New(agent.Deps{Store: s.Store, Rules: rules, Loader: s.Executor, Catalog: tools, Tools: s.mcp, Search: search, Logger: logger})
	orgs := org.New(org.Deps{Store: s.Store, Accounts: s.accounts, Tools: s.mcp, Logger: logger})
	published := catalog.New(catalog.Deps{Store: s.Store, Rules: rules, Loader: s.Executor, Integrations: integrations, Logger: logger})
	logs := calllog.NewReader(s.Store, rules)
	kept := retention.New(retention.Deps{Store: s.Store, Logger: logger})
	apps, err := s.connectedApps(cfg, rules, agents, limits, roots, logger)
	if err != nil {
		return nil, err
	}

	runs := river.NewWorkers()
	// Batch jobs' runs go from this node's ingest to its trigger runner in
	// memory as well: up to 20,000 runs and about 32 MB of their events.
	handoff := trigger.NewHandoff(20_000, 32<<20)
	runner := trigger.NewRunner(trigger.RunnerConfig{Store: s.Store, Rules: rules, Actions: actions, Outbound: out, Metrics: m, Logger: logger,
		ApprovalPoll: cfg.ApprovalPoll, Handoff: handoff,
	})
	runner.Register(runs)
	pruner := retention.NewPruner(retention.PrunerConfig{Store: s.Store, Interval: cfg.PruneInterval, Metrics: m, Logger: logger})
	pruner.Register(runs)
	var periodic []*river.PeriodicJob
	if cfg.PruneInterval > 0 {
		periodic = append(periodic, pruner.Periodic())
	}
	if s.jobs, err = jobs.New(ctx, jobs.Config{
		Store: s.Store, Workers: runs, Periodic: periodic, Logger: logger, Metrics: m,
		// A node works the batches of runs its ingest writes as it writes
		// them, without fetching them (PostgreSQL).
		Started:    map[string]jobs.StartedFunc{trigger.BatchArgs{}.Kind(): runner.WorkStarted},
		JobTimeout: cfg.JobTimeout, RescueAfter: cfg.JobTimeout + max(5*time.Second, cfg.JobTimeout/2),
	}); err != nil {
		return nil, err
	}
	if s.Webhooks, err = webhook.New(webhook.Config{
		Store: s.Store, Vault: s.Vault, Queue: s.jobs, Handoff: handoff, Rules: rules, Loader: s.Executor, Rate: limits.Rate, Metrics: m,
		Logger: logger, PublicURL: cfg.PublicURL, Clients: clients,
	}); err != nil {
		return nil, err
	}

	s.api = api.New(api.Deps{
		Accounts: s.accounts, Integrations: integrations, Connections: connections, Agents: agents, Org: orgs, Catalog: published,
		Webhooks: s.Webhooks, Workers: s.Workers, Actions: actions, Approvals: s.Approvals, Logs: logs, Retention: kept, Logger: logger, PublicURL: cfg.PublicURL, Clients: clients,
	})
	if s.web, err = web.New(web.Deps{
		Accounts: s.accounts, Integrations: integrations, Connections: connections, Agents: agents, Apps: apps, Org: orgs,
		Webhooks: s.Webhooks, Actions: actions, Approvals: s.Approvals, Logs: logs, Retention: kept, Logger: logger, PublicURL: cfg.PublicURL, Clients: clients,
	}); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	s.authserver = authserver.New(authserver.Config{Apps: apps, ErrorPage: s.web.ProblemPage, Clients: clients, Logger: logger})
	if err := s.bootstrap(ctx, console); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	ok = true
	return s, nil
}

// Start launches the background workers.
func (s *Server) Start(ctx context.Context) {
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopBg = cancel
	s.goBackground(func() { s.Recorder.Run(bg) })
	// The worker service purges old invocations and workers.
	s.goBackground(func() { s.Workers.Run(bg) })
	// Approvals nobody decided in time expire, with their audit entries.
	s.goBackground(func() { s.Approvals.Run(bg, time.Minute) })
	// Tool changes reach the MCP sessions of every node sharing a
	// PostgreSQL database: a deploy on one node reaches agents connected
	// to another.
	// Other nodes' changes (on PostgreSQL): memoized rows to forget, MCP
	// tool changes, SDK work and results.
	s.goBackground(s.Store.Listen(bg, s.logger))
	s.Webhooks.Start(ctx)
	if err := s.jobs.Start(context.WithoutCancel(ctx)); err != nil {
		s.logger.ErrorContext(ctx, "trigger runs will not be worked on this node", "error", err)
	}
}

func (s *Server) goBackground(run func()) {
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		run()
	}()
}

// Serve listens on the configured addresses (the main one, and the
// metrics one when set) until ctx ends, then stops gracefully: first the
// listeners and in-flight requests, then the workers, then the store.
func (s *Server) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	var metricsLn net.Listener
	if s.cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", s.cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen for metrics on %s: %w", s.cfg.MetricsAddr, err)
		}
	}
	return s.ServeListeners(ctx, ln, metricsLn)
}

// ServeListener is Serve on an existing listener (tests use port 0).
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	return s.ServeListeners(ctx, ln, nil)
}

// ServeListeners is Serve on existing listeners; metricsLn, when not nil,
// serves /metrics alone, without a token.
func (s *Server) ServeListeners(ctx context.Context, ln, metricsLn net.Listener) error {
	s.Start(ctx)
	// Headers must arrive in 10 s and idle connections close after 2
	// minutes; bodies get a deadline of their own (bodyDeadline). There is
	// no WriteTimeout: MCP event streams and worker long polls are long
	// answers.
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	// Long polls of SDK workers end at once instead of holding shutdown.
	srv.RegisterOnShutdown(s.Workers.Stop)
	// Agents' open MCP streams end at once too.
	srv.RegisterOnShutdown(s.mcp.Close)
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if metricsLn != nil {
		ms := s.metricsServer()
		servers = append(servers, ms)
		go func() { errc <- ms.Serve(metricsLn) }()
		s.logger.InfoContext(ctx, "metrics are served without a token", "addr", metricsLn.Addr().String())
	}
	s.logger.InfoContext(ctx, "plugboard is serving", "addr", ln.Addr().String(), "url", s.cfg.PublicURL, "database", s.Store.Engine())
	select {
	case err := <-errc:
		for _, hs := range servers {
			_ = hs.Close()
		}
		s.Close()
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	for _, hs := range servers {
		if err := hs.Shutdown(shutdownCtx); errors.Is(err, context.DeadlineExceeded) {
			_ = hs.Close()
		}
	}
	s.Close()
	s.logger.Info("plugboard stopped")
	return nil
}

// Close stops the workers (draining the call log) and closes the store.
// The HTTP server must have stopped first: the events it accepted are
// committed, then running jobs finish.
func (s *Server) Close() {
	if s.Webhooks != nil {
		s.Webhooks.Close()
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		if err := s.jobs.Stop(ctx); err != nil {
			s.logger.Warn("job queue stopped uncleanly", "error", err)
		}
		cancel()
		s.Webhooks = nil
	}
	if s.stopBg != nil {
		s.stopBg()
		s.background.Wait()
		s.stopBg = nil
	}
	s.closeAll()
}

func (s *Server) closeAll() {
	if s.closeLimits != nil {
		_ = s.closeLimits()
		s.closeLimits = nil
	}
	if s.Store != nil {
		_ = s.Store.Close()
		s.Store = nil
	}
}
