package executor

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/telemetry"
)

// startSpan opens the client span of one action call; the call's
// traceparent goes to the API so its own traces join the caller's.
func startSpan(ctx context.Context, t *Target, s sendSpec) (context.Context, trace.Span) {
	if !telemetry.Tracing() {
		return ctx, trace.SpanFromContext(context.Background()) // a span that does nothing
	}
	name := "action " + t.Integration.Slug
	if s.action != "" {
		name += "." + s.action
	}
	return telemetry.Tracer().Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("plugboard.integration", t.Integration.Slug),
		attribute.String("plugboard.action", s.action),
		attribute.String("plugboard.environment", s.env),
		attribute.String("plugboard.source", string(s.source)),
		attribute.String("http.request.method", s.method),
	))
}

// endSpan records the outcome; the URL is the call log's redacted one.
func endSpan(span trace.Span, entry store.CallLog, err error) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(attribute.String("url.full", entry.URL), attribute.String("plugboard.log_id", entry.ID),
		attribute.Int("plugboard.attempts", entry.Attempts))
	if entry.Status > 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", entry.Status))
	}
	switch {
	case err != nil:
		span.SetStatus(codes.Error, entry.Error)
	case entry.Status >= 500:
		span.SetStatus(codes.Error, "upstream error")
	}
}
