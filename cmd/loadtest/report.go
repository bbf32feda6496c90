package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
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
	nodes := fmt.Sprintf("%d node(s)", o.nodes)
	if o.serving > 0 && o.serving < o.nodes {
		nodes += fmt.Sprintf(" (requests to %d)", o.serving)
	}
	if o.bareProxies > 1 {
		nodes += fmt.Sprintf(", %d bare proxies", o.bareProxies)
	}
	if o.bareSinks > 1 {
		nodes += fmt.Sprintf(", %d PostgreSQL sinks", o.bareSinks)
	}
	fmt.Fprintf(w, "\n%s, %s, %d clients, %s per row in %d rounds, %d CPUs, %s\n\n", engine, nodes, o.clients, o.duration, max(1, o.rounds), runtime.NumCPU(), time.Now().UTC().Format(time.DateTime))
	fmt.Fprintln(w, "| path | throughput | p50 | p99 | ratio |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|")
	// Each ratio's rounds, for the table after this one.
	var byRound []roundRatios
	spread := func(label string, n int, share func(i int) float64) string {
		rr := roundRatios{label: label, values: make([]float64, n)}
		for i := range n {
			rr.values[i] = share(i)
		}
		byRound = append(byRound, rr)
		return fmt.Sprintf(" (%.2f–%.2f by round)", slices.Min(rr.values), slices.Max(rr.values))
	}
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
			in, run := by["ingest"], by["action_run"]
			if n := len(r.rounds); n > 1 && len(in.rounds) == n && len(run.rounds) == n {
				ratio += spread(r.name+" ÷ pipeline limit", n, func(i int) float64 { return r.rounds[i] * (1/in.rounds[i] + 1/run.rounds[i]) })
			}
		case r.yardstick != "":
			var shares []string
			for _, y := range []string{r.yardstick, r.also} {
				if share := compare(r, by, y, spread); share != "" {
					shares = append(shares, share)
				}
			}
			ratio = strings.Join(shares, ", ")
		}
		if r.pruned > 0 {
			ratio += fmt.Sprintf("; %d old events pruned meanwhile, %.0f a second", r.pruned, float64(r.pruned)/r.seconds)
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
	if len(byRound) > 0 {
		// Which rounds a spread comes from: one slow round (something
		// else ran on the machine, or work one row left behind ran in
		// another's turn) reads differently from a row slow throughout.
		fmt.Fprintln(w, "\nThe ratios round by round:")
		fmt.Fprintln(w)
		head, rule := "| ratio |", "|---|"
		for i := range byRound[0].values {
			head += fmt.Sprintf(" %d |", i+1)
			rule += "---:|"
		}
		fmt.Fprintln(w, head)
		fmt.Fprintln(w, rule)
		for _, rr := range byRound {
			line := "| " + rr.label + " |"
			for _, v := range rr.values {
				line += fmt.Sprintf(" %.2f |", v)
			}
			fmt.Fprintln(w, line)
		}
	}
	if o.proxyWithUpstream {
		fmt.Fprintln(w, "\nCPU time per request, by process (the fixtures hold the upstream, the sinks and, with -proxy-with-upstream, the bare proxy):")
	} else {
		fmt.Fprintln(w, "\nCPU time per request, by process (the fixtures hold the upstream and the sinks but PostgreSQL's, whose own processes count with the bare proxy's):")
	}
	fmt.Fprintln(w, "\n| path | Plugboard | PostgreSQL | bare proxy | fixtures | load generator |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, r := range results {
		if r.count == 0 {
			continue
		}
		per := func(d time.Duration) string {
			return fmt.Sprintf("%.0f µs", float64(d.Microseconds())/float64(r.count))
		}
		database := "–"
		if o.postgres != "" {
			database = per(r.cpu.database)
		}
		proxy := "–"
		if !o.proxyWithUpstream {
			proxy = per(r.cpu.proxy)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.name, per(r.cpu.nodes), database, proxy, per(r.cpu.fixtures), per(r.cpu.generator))
	}
}

// compare is r's throughput as a share of the yardstick row's, with the
// spread of the same share round by round.
func compare(r result, by map[string]result, yardstick string, spread func(label string, n int, share func(i int) float64) string) string {
	y, ok := by[yardstick]
	if !ok || y.perSecond == 0 {
		return ""
	}
	out := fmt.Sprintf("%.2f of %s", r.perSecond/y.perSecond, yardstick)
	if len(r.rounds) > 1 && len(r.rounds) == len(y.rounds) {
		out += spread(r.name+" ÷ "+yardstick, len(r.rounds), func(i int) float64 { return r.rounds[i] / y.rounds[i] })
	}
	return out
}

// roundRatios is one ratio of the report, round by round.
type roundRatios struct {
	label  string
	values []float64
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
}
