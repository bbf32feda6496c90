package web

import (
	"html/template"
	"math"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/access"
)

// monitorRanges are the windows the monitor page charts.
var monitorRanges = map[string]struct {
	span, step time.Duration
	label      string
}{
	"hour": {time.Hour, time.Minute, "last hour, per minute"},
	"day":  {24 * time.Hour, 15 * time.Minute, "last 24 hours, per 15 minutes"},
}

type totals struct {
	Calls, Errors int
	ErrorRate     float64
	P95           float64
}

func (wb *Web) monitor(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Read)
	if err != nil {
		return err
	}
	rangeName := r.URL.Query().Get("range")
	rg, ok := monitorRanges[rangeName]
	if !ok {
		rangeName, rg = "hour", monitorRanges["hour"]
	}
	until := time.Now().Truncate(rg.step).Add(rg.step)
	buckets, err := wb.Logs.Stats(r.Context(), v.p, t.Integration.ID, until.Add(-rg.span), until, rg.step)
	if err != nil {
		return err
	}
	starts := make([]time.Time, len(buckets))
	perMin, errRate, p50, p95 := make([]float64, len(buckets)), make([]float64, len(buckets)), make([]float64, len(buckets)), make([]float64, len(buckets))
	var sum totals
	minutes := rg.step.Minutes()
	for i, bk := range buckets {
		starts[i] = bk.Start
		perMin[i] = float64(bk.Calls) / minutes
		errRate[i], p50[i], p95[i] = math.NaN(), math.NaN(), math.NaN()
		if bk.Calls > 0 {
			errRate[i] = 100 * float64(bk.Errors) / float64(bk.Calls)
		}
		if bk.P50MS > 0 || bk.P95MS > 0 {
			p50[i], p95[i] = bk.P50MS, bk.P95MS
			sum.P95 = math.Max(sum.P95, bk.P95MS)
		}
		sum.Calls += bk.Calls
		sum.Errors += bk.Errors
	}
	if sum.Calls > 0 {
		sum.ErrorRate = 100 * float64(sum.Errors) / float64(sum.Calls)
	}
	charts := []template.HTML{
		chartSVG("Calls per minute", "", starts, rg.step, series{Name: "calls per minute", Color: "#3b5bdb", Values: perMin, Bars: true}),
		chartSVG("Error rate", "%", starts, rg.step, series{Name: "error rate", Color: "#b42318", Values: errRate}),
		chartSVG("Latency", "ms", starts, rg.step, series{Name: "p50", Color: "#3b5bdb", Values: p50}, series{Name: "p95", Color: "#e8590c", Values: p95}),
	}
	budgets, err := wb.Connections.Budgets(r.Context(), v.p, t.Integration.ID)
	if err != nil {
		return err
	}
	wb.render(w, r, v, http.StatusOK, "monitor", view{
		Title: "Monitor · " + t.Integration.Name, Nav: "integrations",
		Data: integrationData(t, "monitor", map[string]any{"Charts": charts, "Range": rangeName, "Label": rg.label, "Totals": sum, "Budgets": budgets}),
	})
	return nil
}
