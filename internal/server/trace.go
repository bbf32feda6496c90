package server

import (
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// traceContext continues the caller's trace: a W3C traceparent (or what
// the propagator the process installed reads) lands in the request's
// context, so calls that leave the server, such as invocations handed to
// SDK workers and the workers' API calls, stay in the caller's trace.
func traceContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p propagation.TextMapPropagator = propagation.TraceContext{}
		if g := otel.GetTextMapPropagator(); len(g.Fields()) > 0 {
			p = g
		}
		next.ServeHTTP(w, r.WithContext(p.Extract(r.Context(), propagation.HeaderCarrier(r.Header))))
	})
}
