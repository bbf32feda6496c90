package server_test

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// One trace runs from the caller through the server's request span and the
// action's client span to the API, which receives the same trace id.
func TestActionCallsJoinTheCallersTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	otel.SetTextMapPropagator(propagation.TraceContext{})

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	if got := servertest.RunTraced(t, "00-"+traceID+"-00f067aa0ba902b7-01"); !strings.HasPrefix(got, "00-"+traceID+"-") {
		t.Fatalf("the API got traceparent %q, want one in trace %s", got, traceID)
	}
	var server, action sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID().String() != traceID {
			continue
		}
		switch s.Name() {
		case "POST /v1/integrations/{id}/actions/{action}/run":
			server = s
		case "action pinged.ping":
			action = s
		}
	}
	if server == nil || action == nil {
		t.Fatalf("spans in the caller's trace: server %v, action %v", server != nil, action != nil)
	}
	if action.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Fatal("the action span is not a child of the request span")
	}
	attrs := map[string]string{}
	for _, kv := range action.Attributes() {
		attrs[string(kv.Key)] = kv.Value.Emit()
	}
	if attrs["plugboard.integration"] != "pinged" || attrs["http.response.status_code"] != "200" || attrs["plugboard.source"] != "api" {
		t.Fatalf("action span attributes = %v", attrs)
	}
}
