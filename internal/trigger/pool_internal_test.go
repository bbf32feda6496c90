package trigger

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// A batch's runs go side by side however many there are (none waits for
// another to finish), the goroutines are taken again by the next batch,
// and they end once idle.
func TestPoolRunsEveryTaskAtOnceAndEndsWhenIdle(t *testing.T) {
	before := runtime.NumGoroutine()
	p := newPool(200 * time.Millisecond)
	for round := range 3 {
		const n = 40
		var started, wg sync.WaitGroup
		started.Add(n)
		release := make(chan struct{})
		ran := make([]bool, n)
		for i := range n {
			wg.Add(1)
			p.Go(&wg, func() {
				started.Done()
				<-release // every task waits until all have started
				ran[i] = true
			})
		}
		done := make(chan struct{})
		go func() { started.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: the tasks did not all start side by side", round)
		}
		close(release)
		wg.Wait()
		for i, ok := range ran {
			if !ok {
				t.Fatalf("round %d: task %d did not run", round, i)
			}
		}
		if extra := runtime.NumGoroutine() - before; extra > n+5 {
			t.Fatalf("round %d: %d goroutines more than before; the idle ones were not taken again", round, extra)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines still running after the pool went idle (%d before)", runtime.NumGoroutine(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
