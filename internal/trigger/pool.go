package trigger

import (
	"sync"
	"time"
)

// pool runs a batch's runs side by side on goroutines that outlive them.
// An action run goes deep (the executor, the outbound client, the store),
// and a fresh goroutine's stack grew and was copied for every run: 3% of
// a triggered event's CPU. A goroutine that finished a run takes the next
// one if it comes within idleFor, and ends after that. No run waits for a
// free goroutine: when none is idle, one more starts.
type pool struct {
	tasks   chan func()
	idleFor time.Duration
}

func newPool(idleFor time.Duration) *pool {
	return &pool{tasks: make(chan func()), idleFor: idleFor}
}

// Go runs f on an idle goroutine of the pool, or on a new one, and calls
// wg.Done when f returns; wg.Add(1) is the caller's, as with go.
func (p *pool) Go(wg *sync.WaitGroup, f func()) {
	task := func() {
		defer wg.Done()
		f()
	}
	select {
	case p.tasks <- task:
	default:
		go p.work(task)
	}
}

func (p *pool) work(task func()) {
	idle := time.NewTimer(p.idleFor)
	defer idle.Stop()
	for {
		task()
		idle.Reset(p.idleFor)
		select {
		case task = <-p.tasks:
		case <-idle.C:
			return
		}
	}
}
