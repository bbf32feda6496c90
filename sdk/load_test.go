package sdk_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/sdk"
)

// TestWorkersShareTheLoad runs two workers that take one invocation at a
// time, and two invocations that each wait until both are running: they
// can only finish if each worker took one.
func TestWorkersShareTheLoad(t *testing.T) {
	t.Parallel()
	inst := servertest.Start(t, servertest.Options{})
	j := newJournal()
	var running sync.WaitGroup
	running.Add(2)
	both := func(ctx context.Context) error {
		running.Done()
		done := make(chan struct{})
		go func() { running.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	startWorker(t, inst, writer("Writer", j, "A", both), sdk.Concurrency(1))
	startWorker(t, inst, writer("Writer", j, "B", both), sdk.Concurrency(1))
	errs := runConcurrently(inst, 2)
	for err := range errs {
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	}
	seen := map[string]bool{}
	for _, a := range j.all() {
		seen[a.worker] = true
	}
	if !seen["A"] || !seen["B"] || len(j.all()) != 2 {
		t.Fatalf("attempts = %+v, want one on each worker", j.all())
	}
}

// TestConcurrencyLimit: a worker runs at most Concurrency invocations at
// once; the others wait in the queue and run after.
func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	inst := servertest.Start(t, servertest.Options{})
	j := newJournal()
	var inFlight, peak atomic.Int64
	gate := make(chan struct{})
	entered := make(chan struct{}, 5) // an invocation is inside the action, counted
	startWorker(t, inst, writer("Writer", j, "A", func(ctx context.Context) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		entered <- struct{}{}
		<-gate
		return nil
	}), sdk.Concurrency(2))
	errs := runConcurrently(inst, 5)
	// Two are inside the action at once. The gate opens only then: an
	// invocation that had merely started could otherwise pass it and end
	// before the second came in.
	<-entered
	<-entered
	// The limit holds the other three back while both slots are taken.
	select {
	case <-entered:
		close(gate)
		t.Fatal("a third invocation ran while two held the worker's two slots")
	case <-time.After(200 * time.Millisecond):
	}
	close(gate)
	for err := range errs {
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	}
	if peak.Load() != 2 || len(j.all()) != 5 {
		t.Fatalf("peak %d with %d runs, want 2 with 5", peak.Load(), len(j.all()))
	}
}

// runConcurrently starts n runs of Writer's write action and returns
// their errors as they finish.
func runConcurrently(inst *servertest.Instance, n int) <-chan error {
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := inst.Client.Run(context.Background(), "writer", "write", client.RunInput{Params: map[string]any{"value": "v"}})
			errs <- err
		})
	}
	go func() { wg.Wait(); close(errs) }()
	return errs
}
