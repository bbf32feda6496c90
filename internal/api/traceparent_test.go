package api_test

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/telemetry"
)

// With no tracing set up (no spans are made) a caller's traceparent still
// reaches the API, in the caller's trace.
func TestTraceparentPassesOnWithoutTracing(t *testing.T) {
	if telemetry.Tracing() {
		t.Fatal("a test in this package installed a tracer provider; this test needs a process without one")
	}
	otel.SetTextMapPropagator(propagation.TraceContext{})
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	if got := servertest.RunTraced(t, "00-"+traceID+"-00f067aa0ba902b7-01"); !strings.HasPrefix(got, "00-"+traceID+"-") {
		t.Fatalf("the API got traceparent %q, want one in trace %s", got, traceID)
	}
}
