// Package metrics exposes Plugboard's Prometheus metrics: per integration
// call counts, errors and latency, webhook intake and MCP sessions. The
// server guards them (a token, or a private listen address): they span
// every organization.
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
	tenantLabels bool
	calls        *prometheus.CounterVec
	callErrors   *prometheus.CounterVec
	callDuration *prometheus.HistogramVec
	// Webhooks counts webhook deliveries by outcome.
	Webhooks *prometheus.CounterVec
	// TriggerRuns counts trigger runs by final state.
	TriggerRuns *prometheus.CounterVec
	// TriggerRunDelay is how long after its event arrived a trigger run's
	// first attempt ended: how far automations lag behind the intake.
	TriggerRunDelay prometheus.Histogram
	// MCPSessions is the number of open MCP sessions on this node.
	MCPSessions prometheus.Gauge
	// Pruned counts rows the retention job removed (or, for call log
	// bodies, emptied), by kind.
	Pruned *prometheus.CounterVec
	// JobsAdopted counts jobs this node moved from another node's own
	// queue to the shared one after they waited there too long.
	JobsAdopted prometheus.Counter
}

// Options tune what the metrics show.
type Options struct {
	// TenantLabels adds the integration's slug and the action's key to the
	// action series. Both are names tenants choose, and the metrics span
	// every organization, so they are left out unless the operator opts
	// in. Defaults to false: series carry the integration's id alone.
	TenantLabels bool
}

// New registers the collectors on a fresh registry.
func New(opts Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), tenantLabels: opts.TenantLabels}
	who := []string{"integration_id"}
	if opts.TenantLabels {
		who = append(who, "integration", "action")
	}
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plugboard_action_calls_total", Help: "Outbound action calls by integration, source and HTTP status class.",
	}, append(who[:len(who):len(who)], "source", "status_class"))
	m.callErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plugboard_action_errors_total", Help: "Action calls that failed (transport error or HTTP status >= 400).",
	}, append(who[:len(who):len(who)], "source"))
	m.callDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "plugboard_action_duration_seconds", Help: "Latency of outbound action calls, retries included.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, who)
	m.Webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plugboard_webhook_deliveries_total", Help: "Webhook deliveries by outcome (accepted, duplicate, unauthorized, forbidden, too_large, rate_limited).",
	}, []string{"outcome"})
	m.TriggerRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plugboard_trigger_runs_total", Help: "Trigger run attempts by result (succeeded, retrying, dead).",
	}, []string{"result"})
	m.TriggerRunDelay = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "plugboard_trigger_run_delay_seconds", Help: "Time from a webhook event's arrival to the end of its trigger run's first attempt (replays, and runs that waited for an approval, left out): how far automations lag behind the intake.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
	})
	m.MCPSessions = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "plugboard_mcp_sessions", Help: "Open MCP sessions on this node.",
	})
	m.Pruned = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plugboard_pruned_rows_total", Help: "Rows past their retention that the retention job removed (call log bodies: emptied), by kind.",
	}, []string{"kind"})
	m.JobsAdopted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "plugboard_jobs_adopted_total", Help: "Jobs this node moved to the shared queue after they waited 5 s in another node's own queue (PostgreSQL): that node died or fell behind.",
	})
	m.reg.MustRegister(m.calls, m.callErrors, m.callDuration, m.Webhooks, m.TriggerRuns, m.TriggerRunDelay, m.MCPSessions, m.Pruned, m.JobsAdopted,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCall records one action call of the integration with id
// integrationID (slug is its name, action the action's key).
func (m *Metrics) ObserveCall(integrationID, slug, action, source string, status int, failed bool, d time.Duration) {
	class := "error"
	if status > 0 {
		class = strconv.Itoa(status/100) + "xx"
	}
	who := []string{integrationID}
	if m.tenantLabels {
		who = append(who, slug, action)
	}
	m.calls.WithLabelValues(append(who[:len(who):len(who)], source, class)...).Inc()
	if failed || status >= 400 || status == 0 {
		m.callErrors.WithLabelValues(append(who[:len(who):len(who)], source)...).Inc()
	}
	m.callDuration.WithLabelValues(who...).Observe(d.Seconds())
}

// Registry lets other packages register their own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
