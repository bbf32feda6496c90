package store

import (
	"context"
	"errors"
	"sync"
	"time"
)

// A batcher runs together what callers queue together: its loop takes the
// first call, then every call already waiting (up to max), and hands them
// to run at once. Each caller waits until run answers its call. SQLite's
// group commits (group.go) and PostgreSQL's shared settlements
// (settle_pg.go) are batchers.
type batcher[T any] struct {
	in   chan *call[T]
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// call is one caller's request; run answers it on done, once.
type call[T any] struct {
	ctx  context.Context
	v    T
	done chan error
}

func startBatcher[T any](max int, run func([]*call[T])) *batcher[T] {
	return startLingeringBatcher(max, 0, 0, run)
}

// startLingeringBatcher is startBatcher whose loop, having taken the calls
// already waiting, waits up to linger for more while it holds fewer than
// enough.
func startLingeringBatcher[T any](max int, linger time.Duration, enough int, run func([]*call[T])) *batcher[T] {
	b := &batcher[T]{in: make(chan *call[T]), quit: make(chan struct{})}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		var timer *time.Timer
		if linger > 0 {
			timer = time.NewTimer(linger)
			timer.Stop()
		}
		for {
			var first *call[T]
			select {
			case first = <-b.in:
			case <-b.quit:
				return
			}
			batch := []*call[T]{first}
		more:
			for len(batch) < max {
				select {
				case c := <-b.in:
					batch = append(batch, c)
				default:
					break more
				}
			}
			if timer != nil && len(batch) < enough {
				timer.Reset(linger)
			wait:
				for len(batch) < enough {
					select {
					case c := <-b.in:
						batch = append(batch, c)
					case <-timer.C:
						break wait
					}
				}
				timer.Stop()
			}
			run(batch)
		}
	}()
	return b
}

// do queues v and waits for its answer.
func (b *batcher[T]) do(ctx context.Context, v T) error {
	c := &call[T]{ctx: ctx, v: v, done: make(chan error, 1)}
	select {
	case b.in <- c:
	case <-b.quit:
		return errors.New("store: closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-c.done
}

// stop ends the loop once the batch it runs is answered.
func (b *batcher[T]) stop() {
	b.once.Do(func() { close(b.quit) })
	b.wg.Wait()
}
