package jobs

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/plugboard/plugboard/internal/store"
)

// insertTopic is the channel River's workers listen on for jobs inserted
// into their queues, under the current schema's name, and insertPayload
// what a notification on it says. TestAnOwnJobIsTheRowRiverWrites holds
// both, and the row, to River's.
const insertTopic = "river_insert"

func insertPayload(queue string) string { return fmt.Sprintf(`{"queue": %q}`, queue) }

// insertNotices limits the notifications of jobs inserted into this
// node's own queue as River limits its own: one per FetchCooldown, since
// a fetch takes every job inserted meanwhile.
type insertNotices struct {
	mu    sync.Mutex
	every time.Duration
	last  time.Time
}

func (n *insertNotices) due() bool {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if now.Sub(n.last) < n.every {
		return false
	}
	n.last = now
	return true
}

// OwnJob resolves jobs, as InsertOwnTx would enqueue them, into the row
// River would write for them, for the store to write beside the rows they
// are about (store.InsertIntake): on PostgreSQL, with one statement instead
// of a transaction's five round trips. It applies to one job without
// insert options of its own (a batch's trigger runs); ok is false for
// anything else, and on SQLite, which InsertOwnTx then enqueues. A job of
// a kind in Config.Started is started by this node while it has room
// (see Run): the caller passes it to Run once written, or not.
func (q *Queue) OwnJob(jobs []river.InsertManyParams) (job store.JobRow, ok bool, err error) {
	if q.own == "" || len(jobs) != 1 || jobs[0].InsertOpts != nil {
		return store.JobRow{}, false, nil
	}
	if _, opts := jobs[0].Args.(river.JobArgsWithInsertOpts); opts {
		return store.JobRow{}, false, nil
	}
	args, err := json.Marshal(jobs[0].Args)
	if err != nil {
		return store.JobRow{}, false, fmt.Errorf("enqueue %s: %w", jobs[0].Args.Kind(), err)
	}
	job = store.JobRow{Kind: jobs[0].Args.Kind(), Args: args, Queue: q.own,
		MaxAttempts: river.MaxAttemptsDefault, Priority: river.PriorityDefault, Topic: insertTopic}
	switch {
	case q.startable(job.Kind):
		// This node works it as soon as it is written (Run): no fetch, and
		// so no notification to fetch it.
		job.Started, job.AttemptedBy = true, q.client.ID()
	case q.notices.due():
		job.Payload = insertPayload(q.own)
	}
	return job, true, nil
}
