// Package servertest starts real Plugboard servers on loopback for tests.
package servertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/logging"
	"github.com/plugboard/plugboard/internal/server"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// AdminToken is the owner key of every test server's first organization,
// in the generated key format the server requires of PLUGBOARD_ADMIN_TOKEN.
const AdminToken = "pb_VatEN4EgcRsTkun1EpRwy4WrYvBXBFgKj"

// Instance is a running server.
type Instance struct {
	URL string
	// MetricsURL is the metrics address's base URL when Configure set
	// MetricsAddr ("127.0.0.1:0" picks a free port).
	MetricsURL string
	Token      string
	Client     *client.Client
	Server     *server.Server
	DataDir    string
	Logs       *SyncBuffer
	stop       context.CancelFunc
	done       chan struct{}
}

// Options tune a test server. Zero values give SQLite in a temp dir.
type Options struct {
	Engine      string // store.SQLite (default) or store.Postgres
	DatabaseURL string // reuse a database (several nodes); overrides Engine
	DataDir     string
	Configure   func(*config.Config)
	Quiet       bool // log at warn instead of debug (benchmarks)
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Instance {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.DatabaseURL == "" && opts.Engine == store.Postgres {
		opts.DatabaseURL = storetest.PostgresURL(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{
		Addr: ln.Addr().String(), DataDir: opts.DataDir, DatabaseURL: opts.DatabaseURL,
		AdminToken: AdminToken, AllowPrivateNetworks: true, LogLevel: "debug", ShutdownTimeout: 5 * time.Second,
	}
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			t.Fatal(err)
		}
		cfg.MetricsAddr = metricsLn.Addr().String()
	}
	logs := &SyncBuffer{}
	level := slog.LevelDebug
	if opts.Quiet {
		level = slog.LevelWarn
	}
	logger := logging.New(logs, level, "json")
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, logger, logs)
	if err != nil {
		cancel()
		ln.Close()
		if metricsLn != nil {
			metricsLn.Close()
		}
		t.Fatalf("start server: %v", err)
	}
	in := &Instance{URL: "http://" + ln.Addr().String(), Token: AdminToken, Server: srv, DataDir: opts.DataDir, Logs: logs, stop: cancel, done: make(chan struct{})}
	in.Client = client.New(in.URL, AdminToken)
	if metricsLn != nil {
		in.MetricsURL = "http://" + metricsLn.Addr().String()
	}
	go func() {
		defer close(in.done)
		if err := srv.ServeListeners(ctx, ln, metricsLn); err != nil && err != http.ErrServerClosed {
			t.Errorf("serve: %v", err)
		}
	}()
	t.Cleanup(in.Stop)
	return in
}

// Stop shuts the server down gracefully and waits for it.
func (in *Instance) Stop() {
	in.stop()
	<-in.done
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Cluster starts n nodes on one PostgreSQL database and one Redis, sharing
// a secret key, as a deployment of several nodes runs; configure, if not
// nil, changes each node's configuration further.
func Cluster(t testing.TB, n int, configure func(*config.Config)) []*Instance {
	t.Helper()
	redisURL := os.Getenv("PLUGBOARD_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	db := storetest.PostgresURL(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	shared := func(c *config.Config) {
		c.RedisURL, c.SecretKey = redisURL, base64.StdEncoding.EncodeToString(key)
		if configure != nil {
			configure(c)
		}
	}
	nodes := make([]*Instance, n)
	for i := range nodes {
		nodes[i] = Start(t, Options{DatabaseURL: db, Configure: shared})
	}
	return nodes
}

// Metrics reads /metrics from the metrics address, which Configure must
// have set (MetricsAddr "127.0.0.1:0").
func (i *Instance) Metrics(t testing.TB) string {
	t.Helper()
	if i.MetricsURL == "" {
		t.Fatal("servertest: Metrics needs a metrics address; set MetricsAddr in Configure")
	}
	resp, err := http.Get(i.MetricsURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d, %v", resp.StatusCode, err)
	}
	return string(body)
}

// GrepLines keeps the lines of text that contain substr, for failure
// messages that show the part of a long text that matters.
func GrepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
