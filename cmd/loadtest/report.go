package main

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// report prints the rows as a Markdown table, each with its ratio to the
// row it is measured against, and the pipeline limit of a triggered event:
// one ingest plus one action run on the same cores.
func report(w io.Writer, o options, results []result) {
	by := map[string]result{}
	for _, r := range results {
		by[r.name] = r
	}
	engine := "SQLite"
	if o.postgres != "" {
		engine = "PostgreSQL"
		if o.redis != "" {
			engine += " + Redis"
		}
	}
	fmt.Fprintf(w, "\n%s, %d node(s), %d clients, %s per row, %d CPUs, %s\n\n", engine, o.nodes, o.clients, o.duration, runtime.NumCPU(), time.Now().UTC().Format(time.DateTime))
	fmt.Fprintln(w, "| path | throughput | p50 | p99 | ratio |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|")
	pipeline := 0.0
	if in, ok := by["ingest"]; ok {
		if run, ok := by["action_run"]; ok && in.perSecond > 0 && run.perSecond > 0 {
			pipeline = 1 / (1/in.perSecond + 1/run.perSecond)
		}
	}
	for _, r := range results {
		ratio := ""
		switch {
		case r.yardstick == "pipeline" && pipeline > 0:
			ratio = fmt.Sprintf("%.2f of the pipeline limit (%.0f ev/s)", r.perSecond/pipeline, pipeline)
		case r.yardstick != "":
			if y, ok := by[r.yardstick]; ok && y.perSecond > 0 {
				ratio = fmt.Sprintf("%.2f of %s", r.perSecond/y.perSecond, r.yardstick)
			}
		}
		p50, p99 := r.p50, r.p99
		if r.name == "triggered" {
			p50, p99 = r.lagP50, r.lagP99
			ratio += " (p50/p99: delivery lag)"
		}
		fmt.Fprintf(w, "| %s | %.0f %s | %s | %s | %s |\n", r.name, r.perSecond, r.unit, ms(p50), ms(p99), ratio)
	}
	if pipeline > 0 {
		fmt.Fprintf(w, "\npipeline limit = 1 / (1/ingest + 1/action_run) = %.0f ev/s\n", pipeline)
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
}
