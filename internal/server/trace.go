package server

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/plugboard/plugboard/internal/telemetry"
)

// traceContext continues the caller's trace: a W3C traceparent lands in
// the request's context and a server span covers the request, so action
// calls, invocations handed to SDK workers and the workers' API calls all
// stay in the caller's trace.
func traceContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, carried := r.Context(), carriesContext(r.Header)
		if carried {
			ctx = propagator().Extract(ctx, propagation.HeaderCarrier(r.Header))
		}
		if !telemetry.Tracing() {
			if carried {
				r = r.WithContext(ctx)
			}
			next.ServeHTTP(w, r)
			return
		}
		ctx, span := telemetry.Tracer().Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method)))
		defer span.End()
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(ctx)
		next.ServeHTTP(rec, r)
		if span.IsRecording() {
			// The mux has set the matched route by now; ids stay out of the name.
			if _, route, ok := strings.Cut(r.Pattern, " "); ok {
				span.SetName(r.Method + " " + route)
				span.SetAttributes(attribute.String("http.route", route))
			}
			span.SetAttributes(attribute.Int("http.response.status_code", rec.status))
			if rec.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(rec.status))
			}
		}
	})
}

// carriesContext reports whether h has a field the propagators Plugboard
// installs read (W3C trace context and baggage; telemetry.Setup). Most
// requests have none, and asking the propagator which fields it reads,
// extracting nothing and copying the request for the same context cost
// every request a few allocations.
func carriesContext(h http.Header) bool {
	return len(h["Traceparent"]) > 0 || len(h["Baggage"]) > 0
}

func propagator() propagation.TextMapPropagator {
	if p := telemetry.Propagator(); len(p.Fields()) > 0 {
		return p
	}
	return propagation.TraceContext{}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
