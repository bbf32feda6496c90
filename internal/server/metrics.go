package server

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/problem"
)

// metricsWithToken guards /metrics on the main address: the series span
// every organization, so only a scraper holding PLUGBOARD_METRICS_TOKEN
// reads them there.
func (s *Server) metricsWithToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := s.cfg.MetricsToken
		if want == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="plugboard-metrics"`)
			detail := "metrics are not served on this address without a token: set PLUGBOARD_METRICS_TOKEN (--metrics-token) and scrape with 'Authorization: Bearer <token>', " +
				"or set PLUGBOARD_METRICS_ADDR (--metrics-addr) to serve them without a token on a private address"
			if s.cfg.MetricsAddr != "" {
				detail = "metrics are served without a token on the address PLUGBOARD_METRICS_ADDR names; to serve them here too, set PLUGBOARD_METRICS_TOKEN (--metrics-token)"
			}
			problem.Write(w, problem.New(http.StatusUnauthorized, "%s", detail))
			return
		}
		h := r.Header.Get("Authorization")
		sent, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(sent)), []byte(want)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="plugboard-metrics", error="invalid_token"`)
			problem.Write(w, problem.New(http.StatusUnauthorized, "send the metrics token as 'Authorization: Bearer <PLUGBOARD_METRICS_TOKEN>'"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// metricsServer serves /metrics, without a token, on the metrics address:
// reaching that address is the operator's access control. With --pprof it
// serves Go's profiles there too, and nowhere else.
func (s *Server) metricsServer() *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	if s.cfg.Pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	}
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
}
