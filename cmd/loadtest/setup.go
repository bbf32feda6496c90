package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/client"
)

const (
	adminToken    = "pb_LoadTestOwnerKeyLoadTestOwnerKey0"
	webhookSecret = "load-test-webhook-secret-0123456789abcdef"
)

// env is one run's world: the fixtures process, the Plugboard nodes, and
// what was set up on them.
type env struct {
	o        options
	dir      string
	fixtures fixtureAddrs
	stopFix  func()
	fixPID   int
	// proxies are the bare proxies' URLs (the first is fixtures.Proxy) and
	// proxyPIDs their own processes; none when it runs in the fixtures'.
	proxies   []string
	proxyPIDs []int
	// pgSinks are the PostgreSQL sinks' URLs and pgSinkPIDs their
	// processes (-postgres only).
	pgSinks    []string
	pgSinkPIDs []int
	nodes      []*node
	database   string // the PostgreSQL database made for this run
	adminURL   string // the PostgreSQL server URL it was made on
	dbURL      string // the URL of that database
	analyzed   map[string]bool

	triggersWarm  bool // the triggered row's first round warmed it up
	triggerRounds int

	integration string // the integration every row calls
	ingestHook  string // the webhook without triggers
	ingestURLs  []string
	triggerURLs []string
}

type node struct {
	url     string
	pprof   string
	cmd     *exec.Cmd
	stopped chan struct{}
}

func setUp(ctx context.Context, o options) (_ *env, err error) {
	e := &env{o: o}
	defer func() {
		if err != nil {
			e.tearDown()
		}
	}()
	if e.dir, err = os.MkdirTemp("", "plugboard-load-"); err != nil {
		return nil, err
	}
	if o.binary == "" {
		o.binary = filepath.Join(e.dir, "plugboard")
		fmt.Fprintln(os.Stderr, "building ./cmd/plugboard…")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.binary, "./cmd/plugboard")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build the binary (run from the repository root, or pass -binary): %w", err)
		}
		e.o.binary = o.binary
	}
	if err := e.startFixtures(ctx); err != nil {
		return nil, err
	}
	databaseURL := ""
	if o.postgres != "" {
		if databaseURL, err = e.makeDatabase(ctx); err != nil {
			return nil, err
		}
		if wants(o.rows, "pg_sink") {
			if err := e.startPGSinks(ctx); err != nil {
				return nil, err
			}
		}
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	secretKey := base64.StdEncoding.EncodeToString(key)
	for i := range o.nodes {
		n, err := e.startNode(ctx, i, databaseURL, secretKey)
		if err != nil {
			return nil, err
		}
		e.nodes = append(e.nodes, n)
	}
	return e, e.provision(ctx)
}

func (e *env) startFixtures(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := []string{"-fixtures"}
	if e.o.proxyWithUpstream {
		args = append(args, "with-proxy")
	}
	line, pid, err := e.startHelper(ctx, self, args...)
	if err != nil {
		return fmt.Errorf("start the fixtures: %w", err)
	}
	e.fixPID = pid
	if err := json.Unmarshal(line, &e.fixtures); err != nil {
		return err
	}
	if e.o.proxyWithUpstream {
		e.proxies = []string{e.fixtures.Proxy}
		return nil
	}
	if e.proxies, e.proxyPIDs, err = e.startServers(ctx, self, e.o.bareProxies, "-bare-proxy", e.fixtures.Upstream); err != nil {
		return fmt.Errorf("start the bare proxy: %w", err)
	}
	e.fixtures.Proxy = e.proxies[0]
	return nil
}

// startServers starts n (at least one) helpers that each serve HTTP and
// print their URL on their first line (startHelper), and returns the URLs
// and the processes.
func (e *env) startServers(ctx context.Context, self string, n int, args ...string) (urls []string, pids []int, err error) {
	for range max(1, n) {
		line, pid, err := e.startHelper(ctx, self, args...)
		if err != nil {
			return nil, nil, err
		}
		urls, pids = append(urls, strings.TrimSpace(string(line))), append(pids, pid)
	}
	return urls, pids, nil
}

// startHelper runs this binary again with args, as a process that serves
// until its stdin closes, and returns the first line it prints and its
// process id. Tear-down stops it.
func (e *env) startHelper(ctx context.Context, self string, args ...string) ([]byte, int, error) {
	cmd := exec.CommandContext(ctx, self, args...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	stop := e.stopFix
	e.stopFix = func() {
		stdin.Close()
		_ = cmd.Wait()
		if stop != nil {
			stop()
		}
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		return nil, 0, fmt.Errorf("it did not start: %w", err)
	}
	return line, cmd.Process.Pid, nil
}

func (e *env) makeDatabase(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, e.o.postgres)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", e.o.postgres, err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("plugboard_load_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	e.database, e.adminURL = name, e.o.postgres
	u, err := url.Parse(e.o.postgres)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	e.dbURL = u.String()
	return e.dbURL, nil
}

// analyze brings PostgreSQL's statistics of the run's database up to date
// once per row, after its warm-up. The tables start empty, and a statement
// the nodes prepared while they were may keep the plan made for an empty
// table, a sequential scan, until the statistics change (the settlement's
// statement is made to use its indexes whatever it was planned for); on a
// running installation autovacuum analyzes them within a minute or so,
// which is what users meet.
func (e *env) analyze(ctx context.Context, row string) error {
	if e.dbURL == "" || e.analyzed[row] {
		return nil
	}
	if e.analyzed == nil {
		e.analyzed = map[string]bool{}
	}
	e.analyzed[row] = true
	conn, err := pgx.Connect(ctx, e.dbURL)
	if err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (e *env) startNode(ctx context.Context, i int, databaseURL, secretKey string) (*node, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", addr, "--data-dir", filepath.Join(e.dir, fmt.Sprintf("node%d", i+1)), "--log-level", "warn"}
	n := &node{url: "http://" + addr, stopped: make(chan struct{})}
	if e.o.profile != "" {
		if n.pprof, err = freeAddr(); err != nil {
			return nil, err
		}
		args = append(args, "--metrics-addr", n.pprof, "--pprof")
	}
	cmd := exec.CommandContext(ctx, e.o.binary, args...)
	cmd.Env = append(os.Environ(),
		"PLUGBOARD_ADMIN_TOKEN="+adminToken,
		"PLUGBOARD_ALLOW_PRIVATE_NETWORKS=true",
		"PLUGBOARD_SECRET_KEY="+secretKey,
		"PLUGBOARD_DATABASE_URL="+databaseURL,
		"PLUGBOARD_REDIS_URL="+e.o.redis,
	)
	if wants(e.o.rows, "pruning") {
		cmd.Env = append(cmd.Env, "PLUGBOARD_PRUNE_INTERVAL="+pruneEvery.String())
	}
	cmd.Env = append(cmd.Env, e.o.nodeEnv...)
	logFile, err := os.Create(filepath.Join(e.dir, fmt.Sprintf("node%d.log", i+1)))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", e.o.binary, err)
	}
	n.cmd = cmd
	go func() { _ = cmd.Wait(); logFile.Close(); close(n.stopped) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-n.stopped:
			return nil, fmt.Errorf("node %d stopped while starting; its log is %s", i+1, logFile.Name())
		default:
		}
		if resp, err := http.Get(n.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return n, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("node %d did not answer /healthz within a minute; its log is %s", i+1, logFile.Name())
}

// provision creates, on the first node, the integration every row calls
// (deployed, with a connection in each environment), a webhook without
// triggers (ingest) and one whose trigger creates a contact per event.
func (e *env) provision(ctx context.Context) error {
	c := client.New(e.nodes[0].url, adminToken)
	def := fmt.Sprintf(`{"name": "Load CRM", "baseUrl": %q,
		"auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
		"actions": [
			{"name": "Get Contact", "method": "GET", "endpoint": "/contacts/{id}", "parameters": {"id": "string"}},
			{"name": "Create Contact", "method": "POST", "endpoint": "/contacts", "parameters": {"name": "string"}}]}`, e.fixtures.Upstream)
	in, err := c.CreateIntegration(ctx, json.RawMessage(def))
	if err != nil {
		return fmt.Errorf("create the integration: %w", err)
	}
	e.integration = in.ID
	if _, err := c.Deploy(ctx, in.ID); err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	for _, environment := range []string{"sandbox", "production"} {
		if _, err := c.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: environment,
			Credentials: map[string]string{"api_key": upstreamKey}}); err != nil {
			return fmt.Errorf("add the %s connection: %w", environment, err)
		}
	}
	ingest, err := c.CreateWebhook(ctx, client.WebhookInput{Name: "Load ingest", Source: "github",
		Secret: webhookSecret, RateLimitPerSecond: 1_000_000})
	if err != nil {
		return fmt.Errorf("create the ingest webhook: %w", err)
	}
	triggered, err := c.CreateWebhook(ctx, client.WebhookInput{Name: "Load trigger", Source: "github",
		Secret: webhookSecret, RateLimitPerSecond: 1_000_000,
		Triggers: []client.TriggerSpec{{Integration: in.ID, Action: "create_contact", Environment: "production",
			Params: map[string]any{"name": "{{ event.id }}"}}}})
	if err != nil {
		return fmt.Errorf("create the triggered webhook: %w", err)
	}
	e.ingestHook = ingest.ID
	for _, n := range e.servingNodes() {
		e.ingestURLs = append(e.ingestURLs, n.url+hookPath(ingest.URL))
		e.triggerURLs = append(e.triggerURLs, n.url+hookPath(triggered.URL))
	}
	return nil
}

// proxyURL is the bare proxy that client i of the reverse_proxy row calls:
// the clients spread over the proxies (-bare-proxies) as over the nodes.
func (e *env) proxyURL(i int) string { return e.proxies[i%len(e.proxies)] }

// servingNodes are the nodes that take the requests (-serving).
func (e *env) servingNodes() []*node {
	if e.o.serving > 0 {
		return e.nodes[:e.o.serving]
	}
	return e.nodes
}

// hookPath is the path of a webhook URL, so every node can be sent it.
func hookPath(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Path
	}
	return u
}

func (e *env) tearDown() {
	for _, n := range e.nodes {
		_ = n.cmd.Process.Signal(os.Interrupt)
		select {
		case <-n.stopped:
		case <-time.After(20 * time.Second):
			_ = n.cmd.Process.Kill()
			<-n.stopped
		}
	}
	if e.stopFix != nil {
		e.stopFix()
	}
	if e.o.keepFiles {
		fmt.Fprintln(os.Stderr, "kept", e.dir, e.database)
		return
	}
	if e.database != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, e.adminURL); err == nil {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+e.database+" WITH (FORCE)")
			conn.Close(ctx)
		}
	}
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

// getJSON reads a fixtures endpoint.
func getJSON(method, u string, out any) error {
	req, _ := http.NewRequest(method, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return errors.New(strings.TrimSpace(string(b)))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
