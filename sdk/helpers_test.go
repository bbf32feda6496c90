package sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/sdk"
)

// upstreamKey is the API key only the server's connection holds.
const upstreamKey = "sk_live_upstream_secret_7f3a9c"

// toolAPI is the "custom tool" the seed's SDK example calls: users to
// fetch and records to create, behind an API key.
type toolAPI struct {
	*httptest.Server
	mu          sync.Mutex
	records     []map[string]any
	traceparent []string
	keysSeen    atomic.Int64
}

func newToolAPI(t testing.TB) *toolAPI {
	api := &toolAPI{}
	mux := http.NewServeMux()
	check := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("X-API-Key") != upstreamKey {
			http.Error(w, `{"error":"bad key"}`, http.StatusUnauthorized)
			return false
		}
		api.keysSeen.Add(1)
		api.mu.Lock()
		api.traceparent = append(api.traceparent, r.Header.Get("traceparent"))
		api.mu.Unlock()
		return true
	}
	mux.HandleFunc("GET /v1/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !check(w, r) {
			return
		}
		if r.PathValue("id") == "missing" {
			http.Error(w, `{"error":"no such user"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"name":"Ada Lovelace","plan":"pro"}`, r.PathValue("id"))
	})
	mux.HandleFunc("POST /v1/records", func(w http.ResponseWriter, r *http.Request) {
		if !check(w, r) {
			return
		}
		var rec map[string]any
		if err := json.NewDecoder(r.Body).Decode(&rec); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		api.mu.Lock()
		rec["id"] = fmt.Sprintf("rec_%d", len(api.records)+1)
		api.records = append(api.records, rec)
		api.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(rec)
	})
	api.Server = httptest.NewServer(mux)
	t.Cleanup(api.Close)
	return api
}

// capture records every byte a worker exchanges with the server, and can
// kill the worker's connections as a crash would.
type capture struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	conns []net.Conn
	dead  atomic.Bool
	next  *http.Transport
}

func newCapture() *capture {
	c := &capture{}
	dialer := &net.Dialer{}
	c.next = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if c.dead.Load() {
			return nil, errors.New("the worker is dead")
		}
		conn, err := dialer.DialContext(ctx, network, addr)
		if err == nil {
			c.mu.Lock()
			c.conns = append(c.conns, conn)
			c.mu.Unlock()
		}
		return conn, err
	}}
	return c
}

// kill closes the worker's connections and refuses new ones: no result,
// no heartbeat, no poll reaches the server any more.
func (c *capture) kill() {
	c.dead.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	var reqBody []byte
	if r.Body != nil {
		reqBody, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := c.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	c.mu.Lock()
	fmt.Fprintf(&c.buf, "> %s %s\n%v\n%s\n< %d\n%v\n%s\n", r.Method, r.URL, r.Header, reqBody, res.StatusCode, res.Header, resBody)
	c.mu.Unlock()
	return res, nil
}

func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// startWorker runs in.Serve against the server until the test ends (or
// stop is called) and waits until the server counts it as connected.
func startWorker(t *testing.T, inst *servertest.Instance, in *sdk.Integration, opts ...sdk.Option) (capt *capture, stop func()) {
	t.Helper()
	capt = newCapture()
	ctx, cancel := context.WithCancel(context.Background())
	before := connected(t, inst, in.Name)
	done := make(chan error, 1)
	opts = append(append(serverOpts(inst), sdk.HTTPClient(&http.Client{Transport: capt})), opts...)
	go func() { done <- in.Serve(ctx, opts...) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	for connected(t, inst, in.Name) <= before {
		select {
		case err := <-done:
			t.Fatalf("Serve returned early: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return capt, stop
}

// connected is the integration's workers_connected (0 before it exists).
func connected(t *testing.T, inst *servertest.Instance, name string) int {
	t.Helper()
	var v struct {
		Kind             string `json:"kind"`
		WorkersConnected *int   `json:"workers_connected"`
	}
	err := inst.Client.Do(context.Background(), "GET", "/v1/integrations/"+slug(name), nil, &v)
	if err != nil {
		var ce *client.Error
		if errors.As(err, &ce) && ce.Status == http.StatusNotFound {
			return 0
		}
		t.Fatalf("get integration: %v", err)
	}
	if v.WorkersConnected == nil {
		t.Fatalf("integration %q has no workers_connected (kind %q)", name, v.Kind)
	}
	return *v.WorkersConnected
}

func slug(name string) string { return strings.ReplaceAll(strings.ToLower(name), " ", "_") }

// serverOpts point a worker at inst, with its logs discarded.
func serverOpts(inst *servertest.Instance) []sdk.Option {
	return []sdk.Option{sdk.Server(inst.URL), sdk.Token(inst.Token), sdk.Logger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
}

func jsonBody(s string) io.Reader { return strings.NewReader(s) }

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
