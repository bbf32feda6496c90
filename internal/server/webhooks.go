package server

import (
	"context"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/jobs"
	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/webhook"
)

// wireWebhooks builds the job queue (migrating its tables) and the webhook
// service.
func (s *Server) wireWebhooks(ctx context.Context, rate limit.Rate) error {
	var err error
	s.Jobs, err = jobs.New(ctx, jobs.Config{
		Store: s.Store, Executor: s.Executor, Outbound: s.Outbound, Metrics: s.Metrics, Logger: s.logger,
		JobTimeout: s.cfg.JobTimeout, RescueAfter: s.cfg.JobTimeout + max(5*time.Second, s.cfg.JobTimeout/2),
	})
	if err != nil {
		return err
	}
	s.Webhooks, err = webhook.New(webhook.Config{
		Store: s.Store, Vault: s.Vault, Queue: s.Jobs, Executor: s.Executor, Rate: rate, Metrics: s.Metrics,
		Logger: s.logger, PublicURL: s.cfg.PublicURL, TrustedProxies: s.cfg.TrustedProxies,
	})
	if err != nil {
		return err
	}
	return nil
}

// startWebhooks runs the ingest committer and the job workers.
func (s *Server) startWebhooks(ctx context.Context) {
	s.Webhooks.Start(ctx)
	if err := s.Jobs.Start(context.WithoutCancel(ctx)); err != nil {
		s.logger.ErrorContext(ctx, "trigger runs will not be worked on this node", "error", err)
	}
}

// stopWebhooks commits the events already accepted, then lets running jobs
// finish. The HTTP server must have stopped first.
func (s *Server) stopWebhooks() {
	if s.Webhooks == nil {
		return
	}
	s.Webhooks.Close()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.Jobs.Stop(ctx); err != nil {
		s.logger.Warn("job queue stopped uncleanly", "error", err)
	}
}

// mountWebhooks adds the public ingest route and the REST routes.
func (s *Server) mountWebhooks(mux *http.ServeMux) {
	mux.Handle("POST /hooks/{id}", s.Webhooks) // senders authenticate by signature
	s.API.RegisterWebhooks(mux, s.Webhooks)
}
