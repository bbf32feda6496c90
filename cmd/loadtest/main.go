// Command loadtest measures Plugboard the way its users meet it: the built
// binary in its own process, driven over HTTP by many concurrent clients
// from this process, against a loopback upstream and bare sinks that run
// in a third process and a bare reverse proxy that runs in a fourth. It prints one table whose
// ratios compare rows of the same run.
//
//	go build -o plugboard ./cmd/plugboard
//	go run ./cmd/loadtest -binary ./plugboard                     # SQLite
//	go run ./cmd/loadtest -binary ./plugboard -postgres -nodes 2  # PostgreSQL, two nodes
//
// See docs/benchmarks.md for the figures and how to read them.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

type options struct {
	binary    string
	clients   int
	duration  time.Duration
	warmup    time.Duration
	postgres  string
	redis     string
	nodes     int
	serving   int // how many of the nodes take requests (0: all)
	rows      string
	rounds    int
	nodeEnv   []string
	profile   string
	keepFiles bool
	// proxyWithUpstream runs the bare reverse proxy in the fixtures'
	// process, beside the upstream, instead of a process of its own.
	proxyWithUpstream bool
	// unsignedSinks sends the sinks unsigned events instead of signed
	// ones like the ingest rows'.
	unsignedSinks bool
	// bareProxies is how many bare proxy processes the reverse_proxy row
	// spreads its clients over, as Plugboard's rows spread theirs over
	// the nodes.
	bareProxies int
	// bareSinks is how many PostgreSQL sink processes the pg_sink row
	// spreads its clients over, likewise.
	bareSinks int
}

func main() {
	if serveHelper(os.Args[1:]) {
		return
	}
	var o options
	flag.StringVar(&o.binary, "binary", "", "the plugboard binary to measure (default: build ./cmd/plugboard into a temporary folder)")
	flag.IntVar(&o.clients, "clients", 50, "concurrent clients")
	flag.DurationVar(&o.duration, "duration", 8*time.Second, "how long each row is measured")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "how long each row runs before it is measured")
	flag.StringVar(&o.postgres, "postgres", "", "measure on PostgreSQL: a server URL such as postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable (a fresh database is made on it and dropped after)")
	flag.StringVar(&o.redis, "redis", "", "redis://… for the nodes (shared limits)")
	flag.IntVar(&o.nodes, "nodes", 1, "Plugboard nodes sharing the database (more than one needs -postgres); clients spread over them")
	flag.IntVar(&o.serving, "serving", 0, "send every request to the first this many nodes (0 = all); the others stay in the cluster, listening, holding or seeking the queue's leadership and working its jobs, which shows what coordination costs")
	flag.StringVar(&o.rows, "rows", "all", "comma-separated rows: direct,reverse_proxy,proxy,action_run,sink,sqlite_sink,pg_sink,ingest,pruning,triggered (all = every row; pg_sink only with -postgres)")
	flag.IntVar(&o.rounds, "rounds", 4, "measure the rows in this many rounds, each row a share of -duration per round, so that a row and its yardstick meet the machine in the same state")
	flag.Func("node-env", "NAME=value for the Plugboard nodes only (repeatable), such as GOGC=200", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("want NAME=value, got %q", v)
		}
		o.nodeEnv = append(o.nodeEnv, v)
		return nil
	})
	flag.StringVar(&o.profile, "profile", "", "write CPU and allocation profiles of each node during each Plugboard row into this folder: node 1's as ROW.pprof, the others' as nodeN.ROW.pprof (the nodes serve pprof on a private address)")
	flag.BoolVar(&o.proxyWithUpstream, "proxy-with-upstream", false, "run the bare reverse proxy in the upstream's process instead of its own, as figures before 2026-11-30 16:00 were measured (it then skips the wake-ups of another process that Plugboard pays on its way to the upstream)")
	flag.BoolVar(&o.unsignedSinks, "unsigned-sinks", false, "send the sinks (the yardsticks of ingest) unsigned events, as figures before 2026-11-30 17:00 were measured (the load generator then spends less on a yardstick's event than on an ingested one)")
	flag.IntVar(&o.bareProxies, "bare-proxies", 1, "bare reverse proxies, each in a process of its own, that the reverse_proxy row spreads its clients over as Plugboard's rows do over -nodes: what splitting the same clients between processes costs a proxy that does nothing else")
	flag.IntVar(&o.bareSinks, "bare-sinks", 1, "PostgreSQL sinks, each in a process of its own, that the pg_sink row spreads its clients over as the ingest row does over -nodes: what splitting the same events between processes costs a group commit that does nothing else (needs -postgres)")
	flag.BoolVar(&o.keepFiles, "keep", false, "keep the data folders and the PostgreSQL database after the run")
	flag.Parse()
	if o.serving < 0 || o.serving > o.nodes {
		fmt.Fprintln(os.Stderr, "loadtest: -serving must be between 1 and -nodes (or 0 for all)")
		os.Exit(2)
	}
	if o.bareProxies < 1 || (o.bareProxies > 1 && o.proxyWithUpstream) {
		fmt.Fprintln(os.Stderr, "loadtest: -bare-proxies must be at least 1, and 1 with -proxy-with-upstream")
		os.Exit(2)
	}
	if o.bareSinks < 1 {
		fmt.Fprintln(os.Stderr, "loadtest: -bare-sinks must be at least 1")
		os.Exit(2)
	}
	if o.nodes > 1 && o.postgres == "" {
		fmt.Fprintln(os.Stderr, "loadtest: -nodes above 1 needs -postgres: nodes share one PostgreSQL database")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	env, err := setUp(ctx, o)
	if err != nil {
		return err
	}
	defer env.tearDown()
	var rows []row
	for _, r := range env.rows() {
		if wants(o.rows, r.name) {
			rows = append(rows, r)
		}
	}
	// The rows are measured in rounds: one after another for a share of
	// the duration, again and again, so that a drift of the shared machine
	// touches a row and its yardstick alike.
	rounds := max(1, o.rounds)
	results := make([]result, len(rows))
	for round := range rounds {
		warmup := o.warmup
		if round > 0 {
			warmup = min(o.warmup, 500*time.Millisecond)
		}
		for i, r := range rows {
			fmt.Fprintf(os.Stderr, "measuring %s (round %d of %d)…\n", r.name, round+1, rounds)
			res, err := r.measure(ctx, warmup, o.duration/time.Duration(rounds))
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			results[i].add(res)
		}
	}
	report(out, o, results)
	return nil
}

// serveHelper serves the fixtures (-fixtures, with the bare proxy when
// followed by "with-proxy"), the bare proxy alone (-bare-proxy URL) or a
// PostgreSQL sink (-pg-sink DATABASE-URL) when args ask for one, as the tool runs itself for them, and reports
// whether they did.
func serveHelper(args []string) bool {
	switch {
	case len(args) > 0 && args[0] == "-fixtures":
		serveFixtures(len(args) > 1 && args[1] == "with-proxy")
		return true
	case len(args) > 1 && args[0] == "-bare-proxy":
		serveBareProxy(args[1])
		return true
	case len(args) > 1 && args[0] == "-pg-sink":
		servePGSink(args[1])
		return true
	}
	return false
}

// wants reports whether the -rows list names row (or is "all").
func wants(rows, row string) bool {
	for _, r := range strings.Split(rows, ",") {
		if r = strings.TrimSpace(r); r == "all" || r == row {
			return true
		}
	}
	return false
}
