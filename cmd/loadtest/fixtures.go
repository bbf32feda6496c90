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
// upstream API, a bare reverse proxy in front of it (the yardstick for the
// action and proxy rows) and a bare sink that accepts POSTs (the yardstick
// for ingest).

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

func serveFixtures() {
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

	target, _ := url.Parse("http://" + upLn.Addr().String())
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}
	direct := proxy.Director
	proxy.Director = func(r *http.Request) {
		direct(r)
		r.Header.Set("X-API-Key", upstreamKey)
	}
	proxyLn := listen()
	go serve(proxyLn, proxy)

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
		Proxy:      "http://" + proxyLn.Addr().String(),
		Sink:       "http://" + sinkLn.Addr().String(),
		SQLiteSink: "http://" + liteLn.Addr().String(),
	})
	// The parent closes stdin when it is done; then this process ends.
	_, _ = io.Copy(io.Discard, os.Stdin)
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
