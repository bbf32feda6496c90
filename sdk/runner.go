package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/plugboard/plugboard/internal/worker/wire"
)

// running is one invocation in flight.
type running struct {
	cancel    context.CancelCauseFunc
	abandoned atomic.Bool // its result must not be sent
}

const tracerName = "github.com/plugboard/plugboard/sdk"

// start runs an invocation in its own goroutine; its slot was taken by
// the poll that brought it.
func (w *worker) start(base context.Context, workerID string, inv wire.Invocation) {
	ctx, cancelDeadline := context.WithDeadline(base, time.UnixMilli(inv.DeadlineMS))
	ctx, cancel := context.WithCancelCause(ctx)
	ctx = propagator().Extract(ctx, propagation.MapCarrier(inv.Trace))
	ctx, span := otel.Tracer(tracerName).Start(ctx, "plugboard.action "+inv.Action, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("plugboard.integration", w.in.Name), attribute.String("plugboard.action", inv.Action),
			attribute.String("plugboard.invocation", inv.ID), attribute.Int("plugboard.attempt", inv.Attempt)))
	r := &running{cancel: cancel}
	w.mu.Lock()
	w.running[inv.ID] = r
	w.mu.Unlock()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer func() { <-w.slots }()
		defer func() {
			w.mu.Lock()
			delete(w.running, inv.ID)
			w.mu.Unlock()
		}()
		defer cancelDeadline()
		defer span.End()
		log := w.log.With("action", inv.Action, "invocation", inv.ID, "attempt", inv.Attempt)
		if sc := span.SpanContext(); sc.HasTraceID() {
			log = log.With("trace_id", sc.TraceID().String())
		}
		c := &Call{inv: inv, worker: workerID, w: w, log: log}
		start := time.Now()
		out, err := w.invoke(ctx, c, inv)
		if err != nil {
			span.RecordError(err)
			log.WarnContext(ctx, "action failed", "error", err, "duration", time.Since(start))
		} else {
			log.DebugContext(ctx, "action done", "duration", time.Since(start))
		}
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// The server times the invocation out by itself.
			log.InfoContext(ctx, "action ran past its deadline")
			return
		}
		if r.abandoned.Load() {
			log.InfoContext(ctx, "result dropped", "reason", context.Cause(ctx))
			return
		}
		w.report(base, workerID, inv, out, err, log)
	}()
}

// invoke runs the action, turning a panic into an error.
func (w *worker) invoke(ctx context.Context, c *Call, inv wire.Invocation) (out json.RawMessage, err error) {
	def := w.actions[inv.Action]
	if def == nil {
		return nil, fmt.Errorf("this worker has no action %q; is it running an older version of the integration?", inv.Action)
	}
	defer func() {
		if v := recover(); v != nil {
			c.log.ErrorContext(ctx, "action panicked", "panic", v, "stack", string(debug.Stack()))
			out, err = nil, fmt.Errorf("action %q panicked: %v", inv.Action, v)
		}
	}()
	res, err := def.run(ctx, c, inv.Input)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("action %q returned an output that does not encode to JSON: %v", inv.Action, err)
	}
	return b, nil
}

// report posts the result, retrying lost connections until a while after
// the deadline; the server keeps the first result of an invocation.
func (w *worker) report(base context.Context, workerID string, inv wire.Invocation, out json.RawMessage, err error, log *slog.Logger) {
	res := wire.Result{Worker: workerID, Output: out}
	if err != nil {
		e := &wire.Error{Message: err.Error()}
		var ae *Error
		if errors.As(err, &ae) {
			e.Status = ae.Status
		}
		res = wire.Result{Worker: workerID, Error: e}
	}
	ctx, cancel := context.WithDeadline(base, time.UnixMilli(inv.DeadlineMS).Add(10*time.Second))
	defer cancel()
	bo := backoff{}
	for {
		perr := w.call(ctx, http.MethodPost, wire.PathInvocation+url.PathEscape(inv.ID)+"/result", res, nil)
		var se *ServerError
		switch {
		case perr == nil:
			return
		case errors.As(perr, &se) && se.Status < 500:
			log.InfoContext(ctx, "result not used", "reason", se.Detail)
			return
		}
		d := bo.next()
		if time.Now().Add(d).After(time.UnixMilli(inv.DeadlineMS).Add(10 * time.Second)) {
			log.WarnContext(ctx, "could not deliver the result", "error", perr)
			return
		}
		if !sleep(ctx, d) {
			return
		}
	}
}

// abandon cancels an invocation whose result is no longer wanted here.
func (w *worker) abandon(id, reason string) {
	w.mu.Lock()
	r := w.running[id]
	w.mu.Unlock()
	if r != nil {
		r.abandoned.Store(true)
		r.cancel(errors.New(reason))
	}
}

func (w *worker) runningIDs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]string, 0, len(w.running))
	for id, r := range w.running {
		if !r.abandoned.Load() {
			ids = append(ids, id)
		}
	}
	return ids
}

// propagator is the application's OpenTelemetry propagator, or W3C trace
// context when none is installed, so traces cross the worker either way.
func propagator() propagation.TextMapPropagator {
	if p := otel.GetTextMapPropagator(); len(p.Fields()) > 0 {
		return p
	}
	return propagation.TraceContext{}
}

type headerCarrier = propagation.HeaderCarrier
