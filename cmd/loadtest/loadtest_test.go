package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
// compares each row with its yardstick. The figures themselves are
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
