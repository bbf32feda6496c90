package server

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/plugboard/plugboard/internal/mcp"
	"github.com/plugboard/plugboard/internal/problem"
)

// routes mounts every surface on one mux.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", s.metricsWithToken(s.metrics.Handler()))
	s.api.Register(mux)
	// The dashboard and /mcp, which browsers can be led to, answer only
	// requests for this server's host (see hostGuard).
	hosts := newHostGuard(s.cfg.PublicURL, s.cfg.Addr)
	// The dashboard: pages at /, signed in with sessions.
	dashboard := http.NewServeMux()
	s.web.Register(dashboard)
	mux.Handle("/", hosts.wrap(dashboard))
	mux.HandleFunc("GET /oauth/callback", s.api.OAuthCallback) // public: the state authenticates it
	// Agents authenticate with their own keys. The go-sdk's own rebinding
	// guard stays off (see mcp.New): it only knows loopback, and would
	// refuse a reverse proxy on the same machine that keeps the public
	// Host; hostGuard knows the public host.
	mux.Handle("/mcp", hosts.wrap(s.mcp.Handler()))
	// MCP clients sign people in with OAuth: /mcp's resource metadata,
	// then Plugboard's authorization server, whose authorization endpoint
	// a browser opens.
	mux.Handle(mcp.MetadataPath, s.mcp.ResourceMetadata())
	mux.Handle(mcp.MetadataPath+"/", s.mcp.ResourceMetadata())
	s.authserver.Register(mux, hosts.wrap)
	mux.Handle("POST /hooks/{id}", s.Webhooks) // senders authenticate by signature
	return s.recoverer(bodyDeadline(s.cfg.BodyTimeout, traceContext(mux)))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.Ping(r.Context()); err != nil {
		// The driver's message can name hosts and users; it goes to the log.
		s.logger.ErrorContext(r.Context(), "health check: the database does not answer", "error", err)
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "the database does not answer; see the server log"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// recoverer turns a panic in a handler into a logged 500 instead of a
// dropped connection, and logs each request at debug level.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logger.ErrorContext(r.Context(), "handler panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				problem.Write(w, problem.New(http.StatusInternalServerError, "something went wrong on our side; the error was logged"))
			}
			if s.logger.Enabled(r.Context(), slog.LevelDebug) {
				s.logger.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path, "duration", time.Since(start))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
