package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// result is one measured row: the sum of its rounds.
type result struct {
	name       string
	perSecond  float64
	rounds     []float64 // throughput of each round, in order
	count      int64
	seconds    float64
	latencies  []time.Duration
	cpu        cpuSample // the processes' CPU time while measured
	p50, p99   time.Duration
	errors     int64
	lagP50     time.Duration // triggered only: acknowledged → upstream saw it
	lagP99     time.Duration
	pruned     int64 // pruning only: old events the retention job removed while measured
	unit       string
	yardstick  string // the row this one is compared with
	also       string // a second row it is compared with
	firstError string
}

// add folds one round into the row.
func (r *result) add(round result) {
	r.name, r.unit, r.yardstick, r.also = round.name, round.unit, round.yardstick, round.also
	r.count += round.count
	r.seconds += round.seconds
	r.cpu = r.cpu.add(round.cpu)
	r.errors += round.errors
	r.pruned += round.pruned
	r.latencies = append(r.latencies, round.latencies...)
	r.rounds = append(r.rounds, round.perSecond)
	if r.firstError == "" {
		r.firstError = round.firstError
	}
	r.perSecond = float64(r.count) / r.seconds
	slices.Sort(r.latencies)
	r.p50, r.p99 = percentile(r.latencies, 50), percentile(r.latencies, 99)
	if r.name == "triggered" { // its latencies are delivery lags
		r.lagP50, r.lagP99 = r.p50, r.p99
	}
}

// A row is measured by hammer for warmup and then duration; the triggered
// row is measured once, the others in rounds.
type row struct {
	name    string
	measure func(ctx context.Context, warmup, duration time.Duration) (result, error)
}

func (e *env) rows() []row {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}, Timeout: time.Minute}
	get := func(u string, h http.Header) func(int) *http.Request {
		return func(int) *http.Request {
			r, _ := http.NewRequest(http.MethodGet, u, nil)
			r.Header = h.Clone()
			return r
		}
	}
	bearer := http.Header{"Authorization": {"Bearer " + adminToken}, "X-Plugboard-Environment": {"sandbox"}}
	runBody := []byte(`{"environment":"sandbox","params":{"id":"c1"}}`)
	serving := e.servingNodes()
	nodeURL := func(i int) string { return serving[i%len(serving)].url }
	var seq atomic.Int64 // event ids stay unique across rounds
	rows := []row{
		{"direct", func(ctx context.Context, warmup, d time.Duration) (result, error) {
			return e.hammer(ctx, hc, warmup, d, "direct", "", get(e.fixtures.Upstream+"/contacts/c1", http.Header{"X-Api-Key": {upstreamKey}}))
		}},
		{"reverse_proxy", func(ctx context.Context, warmup, d time.Duration) (result, error) {
			return e.hammer(ctx, hc, warmup, d, "reverse_proxy", "", func(i int) *http.Request {
				r, _ := http.NewRequest(http.MethodGet, e.proxyURL(i)+"/contacts/c1", nil)
				return r
			})
		}},
		{"proxy", func(ctx context.Context, warmup, d time.Duration) (result, error) {
			return e.hammer(ctx, hc, warmup, d, "proxy", "reverse_proxy", func(i int) *http.Request {
				r, _ := http.NewRequest(http.MethodGet, nodeURL(i)+"/v1/integrations/"+e.integration+"/proxy/contacts/c1", nil)
				r.Header = bearer.Clone()
				return r
			})
		}},
		{"action_run", func(ctx context.Context, warmup, d time.Duration) (result, error) {
			return e.hammer(ctx, hc, warmup, d, "action_run", "reverse_proxy", func(i int) *http.Request {
				r, _ := http.NewRequest(http.MethodPost, nodeURL(i)+"/v1/integrations/"+e.integration+"/actions/get_contact/run", bytes.NewReader(runBody))
				r.Header = http.Header{"Authorization": {"Bearer " + adminToken}, "Content-Type": {"application/json"}}
				return r
			})
		}},
		{"sink", func(ctx context.Context, warmup, d time.Duration) (result, error) {
			return e.hammer(ctx, hc, warmup, d, "sink", "", func(i int) *http.Request {
				return e.sinkEvent(e.fixtures.Sink, fmt.Sprintf("sink_%d", i))
			})
		}},
		{"sqlite_sink", func(ctx context.Context, warmup, d time.Duration) (result, error) {
			return e.hammer(ctx, hc, warmup, d, "sqlite_sink", "sink", func(int) *http.Request {
				return e.sinkEvent(e.fixtures.SQLiteSink, fmt.Sprintf("lite_%d", seq.Add(1)))
			})
		}},
		{"ingest", func(ctx context.Context, warmup, d time.Duration) (result, error) {
			res, err := e.hammer(ctx, hc, warmup, d, "ingest", "sink", func(i int) *http.Request {
				return signed(e.ingestURLs[i%len(e.ingestURLs)], fmt.Sprintf("in_%d", seq.Add(1)))
			})
			res.also = "sqlite_sink"
			if e.o.postgres != "" {
				res.also = "pg_sink"
			}
			return res, err
		}},
		{"pruning", func(ctx context.Context, warmup, d time.Duration) (result, error) {
			return e.pruning(ctx, hc, warmup, d, func(i int) *http.Request {
				return signed(e.ingestURLs[i%len(e.ingestURLs)], fmt.Sprintf("pr_%d", seq.Add(1)))
			})
		}},
		{"triggered", func(ctx context.Context, warmup, d time.Duration) (result, error) {
			return e.triggered(ctx, hc, warmup, d)
		}},
	}
	if len(e.pgSinks) > 0 {
		// After the SQLite sink, before ingest, which it is a yardstick of.
		pg := row{"pg_sink", func(ctx context.Context, warmup, d time.Duration) (result, error) {
			return e.hammer(ctx, hc, warmup, d, "pg_sink", "sink", func(i int) *http.Request {
				return e.sinkEvent(e.pgSinkURL(i), fmt.Sprintf("pg_%d", seq.Add(1)))
			})
		}}
		at := slices.IndexFunc(rows, func(r row) bool { return r.name == "ingest" })
		rows = slices.Insert(rows, at, pg)
	}
	return rows
}

// sinks are the rows of the yardsticks of ingest, which count events.
var sinks = map[string]bool{"sink": true, "sqlite_sink": true, "pg_sink": true}

// event is a 1 KB JSON event whose id is id.
func event(id string) []byte {
	b := fmt.Appendf(nil, `{"id":%q,"action":"opened","data":{"object":{"customer":"cus_1"}},"pad":"%01000d`, id, 0)[:1022]
	return append(b, '"', '}')
}

var signer, _ = signature.New("github", signature.Options{})

// signed is a 1 KB event posted to a webhook URL, signed as GitHub does.
func signed(u, id string) *http.Request {
	body := event(id)
	key, _ := signature.DecodeSecret("github", webhookSecret)
	r, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	r.Header = signer.Sign(body, key, time.Now())
	r.Header.Set("Content-Type", "application/json")
	return r
}

// sinkEvent is a 1 KB event posted to a yardstick of ingest: signed as
// the ingest rows' events are, so that the load generator does the same
// work for a row and its yardstick and the yardstick reads the same
// headers (it checks nothing); unsigned with -unsigned-sinks.
func (e *env) sinkEvent(u, id string) *http.Request {
	if !e.o.unsignedSinks {
		return signed(u, id)
	}
	r, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(event(id)))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// hammer sends requests from the clients for the warm-up and then the
// measured duration, and reports the measured part.
func (e *env) hammer(ctx context.Context, hc *http.Client, warmup, duration time.Duration, name, yardstick string, newReq func(int) *http.Request) (result, error) {
	return e.hammerAround(ctx, hc, warmup, duration, name, yardstick, newReq, nil, nil)
}

// hammerAround is hammer calling started after the warm-up, just before
// the measured time begins (the clients keep sending while it runs), and
// ended just after the measured time ends (either may be nil).
func (e *env) hammerAround(ctx context.Context, hc *http.Client, warmup, duration time.Duration, name, yardstick string, newReq func(int) *http.Request, started, ended func()) (result, error) {
	res := result{name: name, unit: "req/s", yardstick: yardstick}
	if name == "ingest" || name == "pruning" || sinks[name] {
		res.unit = "ev/s"
	}
	var (
		measuring  atomic.Bool
		done       atomic.Bool
		count      atomic.Int64
		errs       atomic.Int64
		firstError atomic.Value
		next       atomic.Int64
		wg         sync.WaitGroup
	)
	lat := make([][]time.Duration, e.o.clients)
	for g := range e.o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() && ctx.Err() == nil {
				req := newReq(int(next.Add(1)))
				t0 := time.Now()
				resp, err := hc.Do(req)
				ok := err == nil && resp.StatusCode < 300
				if err == nil {
					if !ok && firstError.Load() == nil {
						b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
						firstError.CompareAndSwap(nil, fmt.Sprintf("%d %s", resp.StatusCode, b))
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				} else {
					firstError.CompareAndSwap(nil, err.Error())
				}
				if !measuring.Load() {
					continue
				}
				if !ok {
					errs.Add(1)
					continue
				}
				count.Add(1)
				lat[g] = append(lat[g], time.Since(t0))
			}
		}()
	}
	time.Sleep(warmup)
	if err := e.analyze(ctx, name); err != nil {
		done.Store(true)
		wg.Wait()
		return res, err
	}
	if started != nil {
		started()
	}
	stopProfile := e.profile(name, duration)
	measuring.Store(true)
	start, cpuStart := time.Now(), e.cpuNow()
	time.Sleep(duration)
	measuring.Store(false)
	elapsed, cpu := time.Since(start), e.cpuNow().sub(cpuStart)
	if ended != nil {
		ended()
	}
	done.Store(true)
	wg.Wait()
	stopProfile()
	res.latencies = slices.Concat(lat...)
	res.count, res.seconds, res.cpu = count.Load(), elapsed.Seconds(), cpu
	res.perSecond = float64(res.count) / res.seconds
	res.errors = errs.Load()
	if v, ok := firstError.Load().(string); ok {
		res.firstError = v
	}
	if res.errors > count.Load()/100 {
		return res, fmt.Errorf("%d of %d requests failed, the first: %s", res.errors, res.errors+count.Load(), res.firstError)
	}
	return res, ctx.Err()
}

// triggered sends signed events to the webhook whose trigger creates a
// contact per event, for the measured duration, then waits until the
// upstream has seen every acknowledged event. Throughput is events
// delivered over the time from the first send to the last arrival; lag is
// acknowledged → the upstream saw it.
func (e *env) triggered(ctx context.Context, hc *http.Client, warmup, d time.Duration) (result, error) {
	res := result{name: "triggered", unit: "ev/s", yardstick: "pipeline"}
	var seen map[string]int64
	if !e.triggersWarm {
		// Warm up: events through the whole path, then forget them.
		if _, err := e.sendEvents(ctx, hc, "warm", warmup); err != nil {
			return res, err
		}
		if err := e.drain(ctx, -1); err != nil {
			return res, err
		}
		if err := e.analyze(ctx, "triggered"); err != nil {
			return res, err
		}
		e.triggersWarm = true
	}
	if err := getJSON(http.MethodPost, e.fixtures.Upstream+"/_arrivals/take", &seen); err != nil {
		return res, err
	}
	e.triggerRounds++
	stopProfile := e.profile("triggered", d)
	start, cpuStart := time.Now(), e.cpuNow()
	acked, err := e.sendEvents(ctx, hc, fmt.Sprintf("r%d", e.triggerRounds), d)
	if err != nil {
		stopProfile()
		return res, err
	}
	err = e.drain(ctx, len(acked))
	res.cpu, res.count = e.cpuNow().sub(cpuStart), int64(len(acked))
	stopProfile()
	if err != nil {
		return res, err
	}
	if err := getJSON(http.MethodPost, e.fixtures.Upstream+"/_arrivals/take", &seen); err != nil {
		return res, err
	}
	var last int64
	lags := make([]time.Duration, 0, len(acked))
	for id, at := range acked {
		arrived, ok := seen[id]
		if !ok {
			return res, fmt.Errorf("event %s was acknowledged but never reached the upstream", id)
		}
		last = max(last, arrived)
		lags = append(lags, time.Duration(arrived-at))
	}
	res.seconds = time.Unix(0, last).Sub(start).Seconds()
	res.perSecond = float64(res.count) / res.seconds
	res.latencies = lags
	return res, nil
}

// sendEvents posts events for d from the clients and returns when each
// acknowledged event was acknowledged (Unix nanoseconds), by id.
func (e *env) sendEvents(ctx context.Context, hc *http.Client, prefix string, d time.Duration) (map[string]int64, error) {
	var (
		mu    sync.Mutex
		acked = map[string]int64{}
		seq   atomic.Int64
		fail  atomic.Value
		wg    sync.WaitGroup
	)
	end := time.Now().Add(d)
	for range e.o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				n := seq.Add(1)
				id := prefix + "_" + strconv.FormatInt(n, 10)
				resp, err := hc.Do(signed(e.triggerURLs[int(n)%len(e.triggerURLs)], id))
				if err != nil {
					fail.CompareAndSwap(nil, err.Error())
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					fail.CompareAndSwap(nil, fmt.Sprintf("event %s: status %d", id, resp.StatusCode))
					return
				}
				at := time.Now().UnixNano()
				mu.Lock()
				acked[id] = at
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if v, ok := fail.Load().(string); ok {
		return nil, fmt.Errorf("sending events: %s", v)
	}
	return acked, ctx.Err()
}

// drain waits until the upstream has seen want events (want < 0: until
// the count stops growing for two seconds).
func (e *env) drain(ctx context.Context, want int) error {
	deadline := time.Now().Add(max(2*time.Minute, 20*e.o.duration))
	last, still := -1, time.Now()
	for time.Now().Before(deadline) {
		var n int
		if err := getJSON(http.MethodGet, e.fixtures.Upstream+"/_arrivals/count", &n); err != nil {
			return err
		}
		if want >= 0 && n >= want {
			return nil
		}
		if want < 0 {
			if n != last {
				last, still = n, time.Now()
			} else if time.Since(still) > 2*time.Second {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("the upstream saw too few of %d acknowledged events in time", want)
}

// profile takes a CPU profile of every node while a row runs, when asked
// to: node 1's in ROW.pprof, the others' in nodeN.ROW.pprof.
func (e *env) profile(name string, d time.Duration) (stop func()) {
	if e.o.profile == "" || name == "direct" || name == "reverse_proxy" || sinks[name] {
		return func() {}
	}
	secs := max(1, int(d.Seconds())-1)
	var wg sync.WaitGroup
	for i, n := range e.nodes {
		prefix := ""
		if i > 0 {
			prefix = fmt.Sprintf("node%d.", i+1)
		}
		// The CPU profile, and what was allocated meanwhile.
		for kind, file := range map[string]string{"profile": prefix + name + ".pprof", "allocs": prefix + name + ".allocs.pprof"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := e.saveProfile(n, kind, secs, file); err != nil {
					fmt.Fprintln(os.Stderr, "profile:", err)
				}
			}()
		}
	}
	return wg.Wait
}

// saveProfile writes n's profile of kind over secs seconds into file for
// the first round, and into file with the round's number before its
// extension for the later ones (proxy.2.pprof): what one row leaves behind
// runs in the turns of the rows after it, so a later round can differ.
func (e *env) saveProfile(n *node, kind string, secs int, file string) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", n.pprof, kind, secs))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_ = os.MkdirAll(e.o.profile, 0o755)
	base, ext := strings.CutSuffix(file, ".pprof")
	for round := 1; ; round++ {
		name := file
		if round > 1 {
			name = fmt.Sprintf("%s.%d.pprof", base, round)
		}
		f, err := os.OpenFile(filepath.Join(e.o.profile, name), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) && ext {
			continue
		}
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(f, resp.Body)
		return err
	}
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}
