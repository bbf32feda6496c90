// Package telemetry sets up OpenTelemetry tracing for a Plugboard process.
//
// Spans are made through Tracer (the server's requests, each action call,
// each SDK invocation) once a tracer provider is installed: Setup installs
// one when given an OTLP endpoint, which then exports them over OTLP/HTTP
// in batches. Until then the hot paths ask Tracing and skip making spans
// that nobody would see (their options and attributes were 2% of an
// action run's CPU); the caller's span context still rides in the
// context, so propagation is the same either way. The
// W3C trace-context propagator is installed either way, so a caller's
// traceparent flows through the server, SDK workers and on to the APIs.
package telemetry

import (
	"context"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

const name = "github.com/plugboard/plugboard"

// unset is the tracer provider a process starts with, before any is
// installed.
var unset = otel.GetTracerProvider()

// Tracing reports whether a tracer provider has been installed, by Setup
// or by a test, so that spans go somewhere.
func Tracing() bool { return otel.GetTracerProvider() != unset }

// Tracer is Plugboard's tracer, from the process's tracer provider.
func Tracer() trace.Tracer { return otel.Tracer(name) }

// Propagator is the process's propagator: W3C trace context and baggage.
func Propagator() propagation.TextMapPropagator { return otel.GetTextMapPropagator() }

// Setup installs the propagator and, when endpoint is set (for example
// http://collector:4318), a tracer provider exporting over OTLP/HTTP. The
// returned function flushes and stops the exporter.
func Setup(ctx context.Context, endpoint, serviceVersion string) (func(context.Context) error, error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("otlp-endpoint %q: want an http(s) URL such as http://collector:4318", endpoint)
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(u.JoinPath("/v1/traces").String())}
	if u.Scheme == "http" {
		opts = append(opts, otlptracehttp.WithInsecure())
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "plugboard"), attribute.String("service.version", serviceVersion))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}
