package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store/storetest"
)

// TestMain lets the test binary serve the fixtures and the bare proxy, as
// the tool re-runs itself for them.
func TestMain(m *testing.M) {
	if serveHelper(os.Args[1:]) {
		return
	}
	os.Exit(m.Run())
}

// TestLoadToolMeasuresTheBuiltBinary runs the tool briefly against a
// freshly built binary: every row it is asked for is measured without
// errors, the triggered row delivers what was acknowledged, the pruning
// row's old events are pruned while it is measured, and the report
// compares each row with its yardstick, on SQLite and on PostgreSQL with
// two nodes. The figures themselves are
// recorded in docs/benchmarks.md, never asserted.
func TestLoadToolMeasuresTheBuiltBinary(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "plugboard")
	build := exec.Command("go", "build", "-o", bin, "../plugboard")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, options{binary: bin, clients: 4, duration: 400 * time.Millisecond, warmup: 100 * time.Millisecond,
		nodes: 1, rows: "reverse_proxy,proxy,action_run,sink,sqlite_sink,ingest,pruning,triggered", rounds: 2}, &out)
	if err != nil {
		t.Fatalf("load run: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{"| proxy |", "of reverse_proxy", "| action_run |", "| ingest |", "of sink", "of sqlite_sink", "by round", "| pruning |", "of ingest", "old events pruned meanwhile", "| triggered |", "of the pipeline limit", "pipeline limit = "} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}

	// On PostgreSQL, with two nodes, ingest is compared with the
	// PostgreSQL sinks split between two processes the same way.
	out.Reset()
	err = run(ctx, options{binary: bin, clients: 4, duration: 400 * time.Millisecond, warmup: 100 * time.Millisecond,
		postgres: storetest.AdminURL(), nodes: 2, bareProxies: 1, bareSinks: 2, rows: "sink,pg_sink,ingest", rounds: 1}, &out)
	if err != nil {
		t.Fatalf("load run on PostgreSQL: %v\n%s", err, out.String())
	}
	report = out.String()
	for _, want := range []string{"2 node(s), 2 PostgreSQL sinks", "| pg_sink |", "| ingest |", "of pg_sink"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report on PostgreSQL lacks %q:\n%s", want, report)
		}
	}
}

// TestServingSendsRequestsToTheFirstNodesOnly: with -serving the other
// nodes get no requests, so what they cost the cluster shows on its own.
func TestServingSendsRequestsToTheFirstNodesOnly(t *testing.T) {
	t.Parallel()
	nodes := []*node{{url: "http://a"}, {url: "http://b"}, {url: "http://c"}}
	for _, tc := range []struct {
		serving int
		want    string
	}{{0, "http://a http://b http://c"}, {1, "http://a"}, {2, "http://a http://b"}} {
		e := &env{o: options{nodes: 3, serving: tc.serving}, nodes: nodes}
		var got []string
		for _, n := range e.servingNodes() {
			got = append(got, n.url)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("-serving %d: requests go to %v, want %s", tc.serving, got, tc.want)
		}
	}
}

// The report gives each ratio round by round, in the rounds' order, so that
// one slow round shows apart from a row slow throughout.
func TestTheReportGivesEachRatioRoundByRound(t *testing.T) {
	t.Parallel()
	row := func(name, yardstick string, rounds ...float64) result {
		var r result
		for _, perSecond := range rounds {
			r.add(result{name: name, yardstick: yardstick, unit: "req/s", perSecond: perSecond, count: int64(perSecond), seconds: 1})
		}
		return r
	}
	var out bytes.Buffer
	report(&out, options{nodes: 1, rounds: 3}, []result{
		row("reverse_proxy", "", 1000, 1000, 2000),
		row("proxy", "reverse_proxy", 800, 500, 1800),
	})
	for _, want := range []string{
		"| proxy | 1033 req/s |", "0.78 of reverse_proxy (0.50–0.90 by round)",
		"| ratio | 1 | 2 | 3 |", "| proxy ÷ reverse_proxy | 0.80 | 0.50 | 0.90 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}

// The bare proxy, the proxy and action-run rows' yardstick, runs in a
// process of its own as Plugboard does, unless -proxy-with-upstream puts it
// in the fixtures' process; with -bare-proxies each runs in its own. Every
// one forwards to the upstream with the upstream's key, and the
// reverse_proxy row's clients spread over them.
func TestTheBareProxyRunsInItsOwnProcess(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		withUpstream bool
		proxies      int
	}{{false, 1}, {true, 1}, {false, 2}} {
		e := &env{o: options{proxyWithUpstream: tc.withUpstream, bareProxies: tc.proxies}}
		if err := e.startFixtures(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.stopFix)
		own := map[int]bool{}
		for _, pid := range e.proxyPIDs {
			if pid != e.fixPID && pid != os.Getpid() {
				own[pid] = true
			}
		}
		if want := map[bool]int{false: tc.proxies, true: 0}[tc.withUpstream]; len(own) != want {
			t.Errorf("%+v: %d bare proxies in processes of their own, want %d", tc, len(own), want)
		}
		if len(e.proxies) != tc.proxies || e.fixtures.Proxy != e.proxies[0] {
			t.Fatalf("%+v: bare proxies at %v (the first at %s), want %d", tc, e.proxies, e.fixtures.Proxy, tc.proxies)
		}
		called := map[string]bool{}
		for i := range 2 * tc.proxies {
			called[e.proxyURL(i)] = true
		}
		if len(called) != tc.proxies {
			t.Errorf("%+v: the row's clients call %v, want every one of %v", tc, called, e.proxies)
		}
		for _, u := range e.proxies {
			resp, err := http.Get(u + "/contacts/c1")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%+v: the bare proxy at %s answered %d, want 200 from the upstream", tc, u, resp.StatusCode)
			}
		}
	}
}

// The PostgreSQL sink, ingest's yardstick on PostgreSQL, runs in processes
// of its own, -bare-sinks of them, over which the pg_sink row's clients
// spread; each answers 200 only once the event is stored, and stores an
// event sent twice once.
func TestThePostgreSQLSinksStoreEventsInProcessesOfTheirOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := &env{o: options{bareSinks: 2}, dbURL: storetest.PostgresURL(t)}
	t.Cleanup(func() {
		if e.stopFix != nil {
			e.stopFix()
		}
	})
	if err := e.startPGSinks(ctx); err != nil {
		t.Fatal(err)
	}
	own := map[int]bool{}
	for _, pid := range e.pgSinkPIDs {
		if pid != os.Getpid() {
			own[pid] = true
		}
	}
	if len(own) != 2 || len(e.pgSinks) != 2 {
		t.Fatalf("sinks %v in processes %v, want 2 of each, apart from the load generator's", e.pgSinks, e.pgSinkPIDs)
	}
	called := map[string]bool{}
	for i := range 4 {
		u := e.pgSinkURL(i)
		called[u] = true
		for range 2 { // the second time, the same event
			resp, err := http.DefaultClient.Do(e.sinkEvent(u, fmt.Sprintf("ev_%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("the sink at %s answered %d, want 200", u, resp.StatusCode)
			}
		}
	}
	if len(called) != 2 {
		t.Errorf("the row's clients call %v, want both of %v", called, e.pgSinks)
	}
	conn, err := pgx.Connect(ctx, e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n, size int
	if err := conn.QueryRow(ctx, `SELECT count(*), min(length(body)) FROM load_sink_events`).Scan(&n, &size); err != nil {
		t.Fatal(err)
	}
	if n != 4 || size != 1024 {
		t.Errorf("the sinks stored %d events (the smallest %d bytes), want the 4 sent, 1 KB each, each once", n, size)
	}
}
