// Package calllog records every outbound call without slowing the call
// path: calls are queued in memory and written in batches.
package calllog

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// MaxBodyBytes is how much of a request or response body a log keeps.
const MaxBodyBytes = 16 << 10

// Recorder batches call logs into the store. A full queue blocks the caller
// briefly rather than dropping a log: the log is part of the product.
type Recorder struct {
	st     *store.Store
	logger *slog.Logger
	queue  chan store.CallLog
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex // guards flushed waiters
	wait   []chan struct{}
}

// New returns a recorder writing to st; call Run to start it.
func New(st *store.Store, logger *slog.Logger) *Recorder {
	return &Recorder{st: st, logger: logger, queue: make(chan store.CallLog, 8192), done: make(chan struct{})}
}

// Record queues one call log.
func (r *Recorder) Record(l store.CallLog) {
	select {
	case r.queue <- l:
	case <-r.done:
	}
}

// Run writes batches until ctx ends, then drains what is queued.
func (r *Recorder) Run(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	batch := make([]store.CallLog, 0, 512)
	flush := func() {
		if len(batch) > 0 {
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := r.st.InsertCallLogs(wctx, batch); err != nil {
				r.logger.ErrorContext(ctx, "write call logs", "count", len(batch), "error", err)
			}
			cancel()
			batch = batch[:0]
		}
		r.mu.Lock()
		for _, w := range r.wait {
			close(w)
		}
		r.wait = nil
		r.mu.Unlock()
	}
	for {
		select {
		case l := <-r.queue:
			batch = append(batch, l)
			if len(batch) == cap(batch) {
				flush()
			}
		case <-tick.C:
			flush()
		case <-ctx.Done():
			for {
				select {
				case l := <-r.queue:
					batch = append(batch, l)
				default:
					flush()
					r.once.Do(func() { close(r.done) })
					return
				}
			}
		}
	}
}

// Flush waits until everything queued before the call is written (tests and
// the replay view use it to read their own writes).
func (r *Recorder) Flush(ctx context.Context) {
	w := make(chan struct{})
	r.mu.Lock()
	r.wait = append(r.wait, w)
	r.mu.Unlock()
	select {
	case <-w:
	case <-r.done:
	case <-ctx.Done():
	}
}
