package server

import (
	"context"

	"github.com/plugboard/plugboard/internal/worker"
)

// wireWorkers creates the service Go SDK workers talk to and makes the
// executor hand it the actions of code-defined integrations.
func (s *Server) wireWorkers() {
	s.Workers = worker.New(worker.Config{Store: s.Store, Executor: s.Executor, Recorder: s.Recorder, Metrics: s.Metrics, Logger: s.logger})
	s.Executor.Workers = s.Workers
	s.API.Workers = s.Workers
}

// startWorkers runs the service's housekeeping (purging old invocations
// and workers) until bg ends.
func (s *Server) startWorkers(bg context.Context) {
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		s.Workers.Run(bg)
	}()
}
