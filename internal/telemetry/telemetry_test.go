package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A span ends up at the OTLP/HTTP endpoint as a protobuf POST to /v1/traces.
func TestSetupExportsSpansOverOTLP(t *testing.T) {
	var posts atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" && len(body) > 0 {
			posts.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	ctx := context.Background()
	shutdown, err := Setup(ctx, collector.URL, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, span := Tracer().Start(ctx, "action custom_crm.create_contact")
	span.End()
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if posts.Load() == 0 {
		t.Fatal("no span reached the collector")
	}
}

func TestSetupRefusesABadEndpoint(t *testing.T) {
	if _, err := Setup(context.Background(), "collector:4318", "test"); err == nil {
		t.Fatal("a URL without a scheme was accepted")
	}
}
