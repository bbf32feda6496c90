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

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/auth"
	"github.com/plugboard/plugboard/internal/calllog"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/idempotency"
	"github.com/plugboard/plugboard/internal/jobs"
	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/mcp"
	"github.com/plugboard/plugboard/internal/metrics"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
	"github.com/plugboard/plugboard/internal/web"
	"github.com/plugboard/plugboard/internal/webhook"
	"github.com/plugboard/plugboard/internal/worker"
)

// Server is one Plugboard node.
type Server struct {
	cfg      config.Config
	logger   *slog.Logger
	Store    *store.Store
	Vault    *vault.Keyring
	Outbound *outbound.Client
	Recorder *calllog.Recorder
	Metrics  *metrics.Metrics
	Executor *executor.Executor
	Auth     *auth.Provider
	API      *api.API
	// Web serves the dashboard at /.
	Web *web.Web
	// MCP serves agents their tools at /mcp.
	MCP *mcp.Server
	// Idempotency replays repeated idempotency keys of action calls.
	Idempotency *idempotency.Runner
	// Jobs is the durable job queue (webhook trigger runs).
	Jobs *jobs.Queue
	// Webhooks receives events at /hooks/{id} and manages webhooks.
	Webhooks *webhook.Service
	// Workers serves Go SDK workers; the executor hands it the actions of
	// code-defined integrations.
	Workers *worker.Service

	closeLimits func() error
	handler     http.Handler
	background  sync.WaitGroup
	stopBg      context.CancelFunc
}

// New opens everything a node needs. Console receives the one-time
// bootstrap message (the owner key) on first start.
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
	conc, rate, closeLimits, err := limit.New(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	s.closeLimits = closeLimits
	if s.Outbound, err = outbound.New(outbound.Config{
		Timeout: cfg.CallTimeout, AllowPrivate: cfg.AllowPrivateNetworks, Concurrency: conc, Logger: logger,
	}); err != nil {
		return nil, err
	}
	s.Metrics = metrics.New()
	s.Recorder = calllog.New(s.Store, logger)
	s.Auth = auth.NewProvider(s.Store, s.Vault, logger)
	s.Auth.SetOAuth(auth.OAuthOptions{HTTPClient: s.Outbound.HTTPClient(), RedirectURL: cfg.PublicURL + "/oauth/callback", Skew: cfg.OAuthRefreshSkew})
	s.Executor = executor.New(executor.Config{
		Store: s.Store, Auth: s.Auth, Outbound: s.Outbound, Recorder: s.Recorder, Metrics: s.Metrics, Logger: logger,
	})
	s.API = api.New(api.Deps{
		Store: s.Store, Executor: s.Executor, Auth: s.Auth, Vault: s.Vault, Logger: logger, PublicURL: cfg.PublicURL,
		BeforeDisconnect: s.Auth.Revoke,
	})
	if err := s.wireAgents(); err != nil {
		return nil, err
	}
	if err := s.wireWebhooks(ctx, rate); err != nil {
		return nil, err
	}
	if err := s.wireDashboard(); err != nil {
		return nil, err
	}
	s.wireWorkers()
	if err := s.bootstrap(ctx, console); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	ok = true
	return s, nil
}

// Handler is the node's whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.handler }

// Config is the effective configuration.
func (s *Server) Config() config.Config { return s.cfg }

// Start launches the background workers.
func (s *Server) Start(ctx context.Context) {
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopBg = cancel
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		s.Recorder.Run(bg)
	}()
	s.startWorkers(bg)
	s.startAgents(bg)
	s.startWebhooks(ctx)
}

// Serve listens on the configured address until ctx ends, then stops
// gracefully: first the listener and in-flight requests, then the workers,
// then the store.
func (s *Server) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	return s.ServeListener(ctx, ln)
}

// ServeListener is Serve on an existing listener (tests use port 0).
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	s.Start(ctx)
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	// Long polls of SDK workers end at once instead of holding shutdown.
	srv.RegisterOnShutdown(s.Workers.Stop)
	// Agents' open MCP streams end at once too.
	srv.RegisterOnShutdown(s.MCP.Close)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.logger.InfoContext(ctx, "plugboard is serving", "addr", ln.Addr().String(), "url", s.cfg.PublicURL, "database", s.Store.Engine())
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		_ = srv.Close()
	}
	s.Close()
	s.logger.Info("plugboard stopped")
	return nil
}

// Close stops the workers (draining the call log) and closes the store.
func (s *Server) Close() {
	s.stopWebhooks()
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
