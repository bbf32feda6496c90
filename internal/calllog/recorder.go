// Package calllog records every outbound call without slowing the call
// path (calls are queued in memory and written in batches), and shows the
// log to members: each sees the entries of integrations they may use,
// made through the organization's shared connections or their own.
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

// item is a queued log, or a flush request (done set) that is answered
// once everything queued before it is written.
type item struct {
	log  store.CallLog
	done chan struct{}
}

// Recorder batches call logs into the store. A full queue blocks the caller
// briefly rather than dropping a log: the log is part of the product.
type Recorder struct {
	st     *store.Store
	logger *slog.Logger
	queue  chan item
	done   chan struct{}
	once   sync.Once
}

// New returns a recorder writing to st; call Run to start it.
func New(st *store.Store, logger *slog.Logger) *Recorder {
	return &Recorder{st: st, logger: logger, queue: make(chan item, 8192), done: make(chan struct{})}
}

// Record queues one call log.
func (r *Recorder) Record(l store.CallLog) {
	select {
	case r.queue <- item{log: l}:
	case <-r.done:
	}
}

// Run writes batches until ctx ends, then drains what is queued.
func (r *Recorder) Run(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	batch := make([]store.CallLog, 0, 512)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if err := r.st.InsertCallLogs(wctx, batch); err != nil {
			r.logger.ErrorContext(ctx, "write call logs", "count", len(batch), "error", err)
		}
		cancel()
		batch = batch[:0]
	}
	take := func(it item) {
		if it.done != nil {
			flush()
			close(it.done)
			return
		}
		batch = append(batch, it.log)
		if len(batch) == cap(batch) {
			flush()
		}
	}
	for {
		select {
		case it := <-r.queue:
			take(it)
		case <-tick.C:
			flush()
		case <-ctx.Done():
			r.once.Do(func() { close(r.done) })
			for {
				select {
				case it := <-r.queue:
					take(it)
				default:
					flush()
					return
				}
			}
		}
	}
}

// Flush waits until every log recorded before the call is written (tests
// and the replay view use it to read their own writes). The request travels
// through the same queue as the logs, so nothing recorded earlier is missed.
func (r *Recorder) Flush(ctx context.Context) {
	done := make(chan struct{})
	select {
	case r.queue <- item{done: done}:
	case <-r.done:
		return
	case <-ctx.Done():
		return
	}
	select {
	case <-done:
	case <-r.done:
	case <-ctx.Done():
	}
}
