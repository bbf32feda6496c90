package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"time"
)

// The fixtures run in a process of their own (this binary with -fixtures),
// so that neither the load generator nor Plugboard pays for them: an
// upstream API, a bare sink that accepts POSTs (the yardstick for ingest)
// and one that stores them in SQLite first.
//
// The bare reverse proxy in front of the upstream (the yardstick for the
// proxy and action-run rows) runs in a process of its own too (this binary
// with -bare-proxy), as Plugboard does: a proxy in the upstream's process
// reaches it without the wake-ups of another process that every proxy a
// user deploys pays, and so measured 10–15% cheaper per request than the
// same proxy on its own (docs/benchmarks.md). -proxy-with-upstream puts it
// back there, to compare with figures measured that way.

const upstreamKey = "load-key"

// fixtureAddrs is what the fixtures process prints on its first line.
type fixtureAddrs struct {
	Upstream string `json:"upstream"`
	Proxy    string `json:"proxy"`
	Sink     string `json:"sink"`
	// SQLiteSink stores each event in SQLite, group-committed, before it answers.
	SQLiteSink string `json:"sqlite_sink"`
}

// arrivals records when the upstream first saw each contact a triggered
// run created, by the contact's name (the event's id).
type arrivals struct {
	mu   sync.Mutex
	seen map[string]int64
}

func (a *arrivals) add(name string) {
	now := time.Now().UnixNano()
	a.mu.Lock()
	if _, ok := a.seen[name]; !ok {
		a.seen[name] = now
	}
	a.mu.Unlock()
}

func (a *arrivals) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.seen)
}

// take returns every arrival and forgets them.
func (a *arrivals) take() map[string]int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.seen
	a.seen = map[string]int64{}
	return out
}

// serveFixtures serves the fixtures, and the bare reverse proxy too when
// withProxy is set.
func serveFixtures(withProxy bool) {
	contact := []byte(`{"id":"c1","name":"Ada Lovelace","email":"ada@example.com","company":"Analytical Engines"}`)
	seen := &arrivals{seen: map[string]int64{}}
	upstream := http.NewServeMux()
	upstream.HandleFunc("GET /contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != upstreamKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(contact)
	})
	upstream.HandleFunc("POST /contacts", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != upstreamKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var in struct {
			Name string `json:"name"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
			http.Error(w, "want a JSON body with a name", http.StatusBadRequest)
			return
		}
		seen.add(in.Name)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(contact)
	})
	upstream.HandleFunc("GET /_arrivals/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, seen.count())
	})
	upstream.HandleFunc("POST /_arrivals/take", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(seen.take())
	})
	upLn := listen()
	go serve(upLn, upstream)

	proxyURL := ""
	if withProxy {
		proxyURL = startBareProxy("http://" + upLn.Addr().String())
	}

	sinkLn := listen()
	go serve(sinkLn, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))

	lite, closeLite := startSQLiteSink()
	defer closeLite()
	liteLn := listen()
	go serve(liteLn, lite)

	_ = json.NewEncoder(os.Stdout).Encode(fixtureAddrs{
		Upstream:   "http://" + upLn.Addr().String(),
		Proxy:      proxyURL,
		Sink:       "http://" + sinkLn.Addr().String(),
		SQLiteSink: "http://" + liteLn.Addr().String(),
	})
	// The parent closes stdin when it is done; then this process ends.
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// serveBareProxy serves the bare reverse proxy alone, in front of
// upstream, and prints its URL on its first line.
func serveBareProxy(upstream string) {
	fmt.Println(startBareProxy(upstream))
	// The parent closes stdin when it is done; then this process ends.
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startBareProxy starts the yardstick of the proxy and action-run rows: the
// standard library's reverse proxy adding the upstream's API key, as
// little as a proxy that authenticates its calls can do. It returns its URL.
func startBareProxy(upstream string) string {
	target, err := url.Parse(upstream)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare proxy:", err)
		os.Exit(1)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}
	direct := proxy.Director
	proxy.Director = func(r *http.Request) {
		direct(r)
		r.Header.Set("X-API-Key", upstreamKey)
	}
	ln := listen()
	go serve(ln, proxy)
	return "http://" + ln.Addr().String()
}

func listen() net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fixtures:", err)
		os.Exit(1)
	}
	return ln
}

func serve(ln net.Listener, h http.Handler) {
	_ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
}
