package store

import (
	"context"
	"sync"
	"testing"
	"time"
)

// A lingering batcher runs calls that arrive a little apart together,
// and does not wait once it holds enough: PostgreSQL's settlements of a
// batch's runs, which finish a few at a time, share one statement.
func TestALingeringBatcherGathersCallsThatArriveApart(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var sizes []int
	b := startLingeringBatcher(100, 10*time.Second, 3, func(batch []*call[int]) {
		mu.Lock()
		sizes = append(sizes, len(batch))
		mu.Unlock()
		for _, c := range batch {
			c.done <- nil
		}
	})
	defer b.stop()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			if err := b.do(context.Background(), i); err != nil {
				t.Error(err)
			}
		})
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("three calls took %v: the batcher waited out its linger although it held enough", took)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != 1 || sizes[0] != 3 {
		t.Fatalf("calls 20 ms apart ran in batches of %v; want one of 3", sizes)
	}
}

// A call alone still runs, once the linger is over.
func TestALingeringBatcherRunsALoneCall(t *testing.T) {
	t.Parallel()
	b := startLingeringBatcher(100, 50*time.Millisecond, 3, func(batch []*call[int]) {
		for _, c := range batch {
			c.done <- nil
		}
	})
	defer b.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.do(ctx, 1); err != nil {
		t.Fatalf("a lone call: %v", err)
	}
}
