package sdk

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/plugboard/plugboard/internal/worker/wire"
)

// Version is the SDK's version, sent to the server when registering.
const Version = "0.1.0"

// Serve registers the integration with the server and runs its actions
// until ctx ends; then it stops taking work, lets the invocations in
// flight finish (see [DrainTimeout]) and signs off. It returns nil after
// a clean stop, and an error when the server refuses the integration or
// the key, which retrying cannot fix.
//
// The worker only makes outbound HTTPS requests; it needs no open port.
// It receives invocations by long polling: each poll is a plain GET that
// the server holds open until work arrives (or 20 s pass), so an idle
// worker costs one request every 20 s and new work starts at once. Long
// polling was chosen over a WebSocket because it is ordinary HTTP (it
// passes corporate proxies and load balancers that do not upgrade
// connections), needs no library, and lets each invocation, heartbeat
// and result be its own request that can be retried on its own. Lost
// connections are retried with exponential backoff and jitter.
//
// Several workers may serve the same integration (run the same program
// several times): the server gives each invocation to one of them.
// Invocations are leased; a worker renews its leases while their actions
// run, and if it dies, the server hands the invocation to another worker
// once the lease runs out. Actions therefore run at least once; use
// [Call.IdempotencyKey] to make repeated side effects harmless.
func (in *Integration) Serve(ctx context.Context, opts ...Option) error {
	if err := in.Validate(); err != nil {
		return err
	}
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.server == "" {
		return errors.New("sdk: no server URL; pass sdk.Server(url) or set PLUGBOARD_SERVER")
	}
	if cfg.token == "" {
		return errors.New("sdk: no API key; pass sdk.Token(key) or set PLUGBOARD_TOKEN")
	}
	w := &worker{
		in: in, cfg: cfg, def: in.definition(), actions: map[string]*ActionDef{},
		server:  strings.TrimRight(cfg.server, "/"),
		log:     cfg.logger.With("integration", in.Name),
		running: map[string]*running{}, slots: make(chan struct{}, cfg.concurrency), lost: make(chan struct{}, 1),
	}
	for _, a := range in.Actions {
		w.actions[a.key] = a
	}
	return w.serve(ctx)
}

// worker is one running Serve.
type worker struct {
	in      *Integration
	cfg     config
	def     wire.Integration
	actions map[string]*ActionDef
	server  string
	log     *slog.Logger

	mu        sync.Mutex
	id        string        // the current registration
	heartbeat time.Duration // from the server
	running   map[string]*running
	wg        sync.WaitGroup
	slots     chan struct{} // one per invocation in flight
	lost      chan struct{} // the server no longer knows this worker
}

func (w *worker) serve(ctx context.Context) error {
	base := context.WithoutCancel(ctx) // invocations outlive ctx while draining
	hbCtx, stopHB := context.WithCancel(base)
	hbDone := make(chan struct{})
	go func() { defer close(hbDone); w.heartbeats(hbCtx) }()
	defer func() { stopHB(); <-hbDone }()

	var fatal error
	bo := backoff{}
	for ctx.Err() == nil {
		reg, err := w.register(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if permanent(err) {
				fatal = err
				break
			}
			d := bo.next()
			w.log.WarnContext(ctx, "cannot register with the server; retrying", "error", err, "retry_in", d)
			sleep(ctx, d)
			continue
		}
		bo.reset()
		err = w.session(ctx, base, reg)
		if err != nil && permanent(err) {
			fatal = err
			break
		}
	}
	w.shutdown(base)
	return fatal
}

// register sends the definition and keeps the worker id.
func (w *worker) register(ctx context.Context) (*wire.RegisterResponse, error) {
	var res wire.RegisterResponse
	err := w.call(ctx, http.MethodPost, wire.PathRegister, wire.RegisterRequest{
		Worker:      wire.WorkerInfo{Name: w.cfg.name, SDK: "go/" + Version, Concurrency: w.cfg.concurrency},
		Integration: w.def,
	}, &res)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.id, w.heartbeat = res.WorkerID, time.Duration(res.HeartbeatMS)*time.Millisecond
	w.mu.Unlock()
	select {
	case <-w.lost:
	default:
	}
	w.log.InfoContext(ctx, "worker registered", "worker", res.WorkerID, "integration_id", res.IntegrationID,
		"version", res.Version, "new_version", res.Changed, "concurrency", w.cfg.concurrency)
	return &res, nil
}

// session polls for work until ctx ends, the server forgets the worker
// (register again) or a permanent error.
func (w *worker) session(ctx, base context.Context, reg *wire.RegisterResponse) error {
	bo := backoff{}
	for {
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		case <-w.lost:
			return nil
		}
		n := 1
		for n < w.cfg.concurrency && w.tryAcquire() {
			n++
		}
		invs, err := w.poll(ctx, reg.WorkerID, n)
		for range n - len(invs) {
			<-w.slots
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if notRegistered(err) {
				w.log.WarnContext(ctx, "the server no longer knows this worker; registering again", "worker", reg.WorkerID)
				return nil
			}
			if permanent(err) {
				return err
			}
			d := bo.next()
			w.log.WarnContext(ctx, "lost the connection to the server; retrying", "error", err, "retry_in", d)
			sleep(ctx, d)
			continue
		}
		bo.reset()
		for _, inv := range invs {
			w.start(base, reg.WorkerID, inv)
		}
	}
}

func (w *worker) tryAcquire() bool {
	select {
	case w.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (w *worker) poll(ctx context.Context, workerID string, n int) ([]wire.Invocation, error) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.pollWait+15*time.Second)
	defer cancel()
	q := url.Values{"worker": {workerID}, "max": {strconv.Itoa(n)}, "wait_ms": {strconv.Itoa(int(w.cfg.pollWait.Milliseconds()))}}
	var res wire.PollResponse
	if err := w.call(ctx, http.MethodGet, wire.PathPoll+"?"+q.Encode(), nil, &res); err != nil {
		return nil, err
	}
	return res.Invocations, nil
}

// heartbeats renews the leases of the running invocations and stops those
// the server gave up on. It runs until the worker has signed off, so
// leases stay renewed while draining.
func (w *worker) heartbeats(ctx context.Context) {
	for {
		w.mu.Lock()
		id, every := w.id, w.heartbeat
		w.mu.Unlock()
		if every <= 0 {
			every = time.Second
		}
		if !sleep(ctx, every) {
			return
		}
		if id == "" {
			continue
		}
		var res wire.HeartbeatResponse
		err := w.call(ctx, http.MethodPost, wire.PathHeartbeat, wire.Heartbeat{Worker: id, Running: w.runningIDs()}, &res)
		switch {
		case notRegistered(err):
			select {
			case w.lost <- struct{}{}:
			default:
			}
		case err != nil:
			if ctx.Err() == nil {
				w.log.DebugContext(ctx, "heartbeat failed", "error", err)
			}
		}
		for _, id := range res.Cancel {
			w.abandon(id, "the server gave the invocation up (cancelled, past its deadline or done elsewhere)")
		}
	}
}

// shutdown waits for the invocations in flight, cancels those that
// outlast the drain timeout and signs off; the server re-queues anything
// this worker still held.
func (w *worker) shutdown(base context.Context) {
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	timer := time.NewTimer(w.cfg.drain)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		for _, id := range w.runningIDs() {
			w.abandon(id, "the worker is shutting down")
		}
	}
	w.mu.Lock()
	id := w.id
	w.mu.Unlock()
	if id != "" {
		ctx, cancel := context.WithTimeout(base, 5*time.Second)
		defer cancel()
		if err := w.call(ctx, http.MethodDelete, wire.PathWorker+url.PathEscape(id), wire.Deregister{Running: w.runningIDs()}, nil); err != nil {
			w.log.WarnContext(ctx, "could not sign off; the server will notice when the worker's leases run out", "error", err)
		}
	}
	w.log.Info("worker stopped", "worker", id)
}
