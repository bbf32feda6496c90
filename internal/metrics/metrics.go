// Package metrics exposes Plugboard's Prometheus metrics: per integration
// and action call counts, errors and latency, and webhook intake.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors; one per server.
type Metrics struct {
	reg          *prometheus.Registry
	calls        *prometheus.CounterVec
	callErrors   *prometheus.CounterVec
	callDuration *prometheus.HistogramVec
	// Webhooks counts webhook deliveries by outcome.
	Webhooks *prometheus.CounterVec
	// TriggerRuns counts trigger runs by final state.
	TriggerRuns *prometheus.CounterVec
}

// New registers the collectors on a fresh registry.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plugboard_action_calls_total", Help: "Outbound action calls by integration, action, source and HTTP status class.",
	}, []string{"integration", "action", "source", "status_class"})
	m.callErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plugboard_action_errors_total", Help: "Action calls that failed (transport error or HTTP status >= 400).",
	}, []string{"integration", "action", "source"})
	m.callDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "plugboard_action_duration_seconds", Help: "Latency of outbound action calls, retries included.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"integration", "action"})
	m.Webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plugboard_webhook_deliveries_total", Help: "Webhook deliveries by outcome (accepted, duplicate, unauthorized, forbidden, too_large, rate_limited).",
	}, []string{"outcome"})
	m.TriggerRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plugboard_trigger_runs_total", Help: "Trigger run attempts by result (succeeded, retrying, dead).",
	}, []string{"result"})
	m.reg.MustRegister(m.calls, m.callErrors, m.callDuration, m.Webhooks, m.TriggerRuns,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCall records one action call.
func (m *Metrics) ObserveCall(integration, action, source string, status int, failed bool, d time.Duration) {
	class := "error"
	if status > 0 {
		class = strconv.Itoa(status/100) + "xx"
	}
	m.calls.WithLabelValues(integration, action, source, class).Inc()
	if failed || status >= 400 || status == 0 {
		m.callErrors.WithLabelValues(integration, action, source).Inc()
	}
	m.callDuration.WithLabelValues(integration, action).Observe(d.Seconds())
}

// Registry lets other packages register their own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
