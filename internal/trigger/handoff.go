package trigger

import (
	"sync"

	"github.com/plugboard/plugboard/internal/store"
)

// Handoff carries the runs an ingest batch writes, with their events, to
// the job that works them on the same node, so that the job does not read
// back rows that were in memory a moment before (the two reads were 8% of
// a triggered event's CPU on SQLite).
//
// It is only a shortcut; the rows stay the truth:
//   - Only a batch job's first attempt takes from it (batchRunner.load),
//     and a run is taken once. A job worked again (after a failure, a crash,
//     or first on another node) reads the runs' rows, which say whether
//     they settled meanwhile. A run to try again later (a trigger_run
//     job, which snoozes and comes back) reads its row too.
//   - A run that is not here is read from the store as before: another node
//     wrote it, this node restarted, or it was pushed out to keep the
//     handoff within its bounds while jobs fall behind.
//   - Runs are put once their transaction committed, and what is put is
//     what reading the rows back gives (store.TriggerRun.AsInserted,
//     store.Event.AsStored).
type Handoff struct {
	maxRuns  int
	maxBytes int

	mu    sync.Mutex
	runs  map[string]handed
	order []string // run ids, oldest first from head
	head  int
	bytes int
}

type handed struct {
	run   store.TriggerRun
	event *store.Event
	size  int
}

// NewHandoff returns a handoff that holds at most maxRuns runs and about
// maxBytes of their events' bodies and headers.
func NewHandoff(maxRuns, maxBytes int) *Handoff {
	return &Handoff{maxRuns: maxRuns, maxBytes: maxBytes, runs: map[string]handed{}}
}

// Put hands over runs just written with their events (by event id), a
// lone run too: its job is a batch of one (see Jobs).
func (h *Handoff) Put(runs []store.TriggerRun, events map[string]*store.Event) {
	if h == nil || len(runs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range runs {
		e := events[r.EventID]
		if e == nil {
			continue
		}
		size := len(e.Body) + len(e.Headers) + 256
		h.runs[r.ID] = handed{run: r, event: e, size: size}
		h.order = append(h.order, r.ID)
		h.bytes += size
	}
	// The ids in order behind the oldest held run were taken; they count
	// too, so that a run nobody takes here (its job went to another node)
	// cannot make order grow without end.
	for len(h.runs) > h.maxRuns || h.bytes > h.maxBytes || len(h.order)-h.head > 2*h.maxRuns {
		h.dropOldest()
		h.compact()
	}
	h.compact()
}

// Drop forgets runs, taken or not: a job that reads its runs from the
// store leaves no copy behind.
func (h *Handoff) Drop(runIDs []string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range runIDs {
		h.remove(id)
	}
	h.compact()
}

// Take removes and returns the runs of ids it holds, with their events,
// and the ids it does not hold, to read from the store.
func (h *Handoff) Take(ids []string) (runs map[string]store.TriggerRun, events map[string]store.Event, missing []string) {
	runs = make(map[string]store.TriggerRun, len(ids))
	events = make(map[string]store.Event, len(ids))
	if h == nil {
		return runs, events, ids
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		got, ok := h.runs[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		h.remove(id)
		runs[id] = got.run
		events[got.event.ID] = *got.event
	}
	h.compact()
	return runs, events, missing
}

// Len is how many runs it holds.
func (h *Handoff) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.runs)
}

func (h *Handoff) remove(id string) {
	if got, ok := h.runs[id]; ok {
		delete(h.runs, id)
		h.bytes -= got.size
	}
}

// dropOldest forgets the oldest run still held; ids in order that were
// taken already are passed over.
func (h *Handoff) dropOldest() {
	for h.head < len(h.order) {
		id := h.order[h.head]
		h.head++
		if _, ok := h.runs[id]; ok {
			h.remove(id)
			return
		}
	}
}

// compact drops the ids at the front of order that are no longer held,
// and copies order down once most of it is behind head.
func (h *Handoff) compact() {
	for h.head < len(h.order) {
		if _, ok := h.runs[h.order[h.head]]; ok {
			break
		}
		h.head++
	}
	if h.head == len(h.order) {
		h.order, h.head = h.order[:0], 0
		return
	}
	if h.head > 1024 && h.head > len(h.order)/2 {
		n := copy(h.order, h.order[h.head:])
		h.order, h.head = h.order[:n], 0
	}
}
