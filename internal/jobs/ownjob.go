package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

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
// are about. It applies to one job without insert options of its own (a
// batch's trigger runs); ok is false for anything else, which InsertOwnTx
// then enqueues.
//
// A job of a kind in Config.Started is started by this node while it has
// room (see Run): the caller passes it to Run once written, or not. On
// PostgreSQL the store writes the job with the rows in one statement
// (store.InsertIntake), started or not, instead of a transaction's five
// round trips. On SQLite only a started job is resolved, and the caller
// writes it in its transaction with InsertStartedTx.
func (q *Queue) OwnJob(jobs []river.InsertManyParams) (job store.JobRow, ok bool, err error) {
	if len(jobs) != 1 || jobs[0].InsertOpts != nil {
		return store.JobRow{}, false, nil
	}
	if _, opts := jobs[0].Args.(river.JobArgsWithInsertOpts); opts {
		return store.JobRow{}, false, nil
	}
	kind := jobs[0].Args.Kind()
	args, err := json.Marshal(jobs[0].Args)
	if err != nil {
		return store.JobRow{}, false, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	job = store.JobRow{Kind: kind, Args: args, Queue: q.own, MaxAttempts: river.MaxAttemptsDefault, Priority: river.PriorityDefault, Topic: insertTopic}
	switch {
	case q.startable(kind):
		// This node works it as soon as it is written (Run): no fetch, and
		// so no notification to fetch it.
		job.Started, job.AttemptedBy = true, q.client.ID()
	case q.own == "":
		// SQLite: a job this node does not start is River's to enqueue.
		return store.JobRow{}, false, nil
	case q.notices.due():
		job.Payload = insertPayload(q.own)
	}
	if q.own == "" {
		// SQLite: one node, and one queue.
		job.Queue, job.Topic = river.QueueDefault, ""
	}
	return job, true, nil
}

// InsertStartedTx writes job, which OwnJob resolved as started, in tx on
// SQLite, as River's fetch leaves a job it took, and returns its id. The
// caller passes the job to Run once tx commits (with 0 if it does not).
func (q *Queue) InsertStartedTx(ctx context.Context, tx *sql.Tx, job store.JobRow) (int64, error) {
	if !job.Started {
		return 0, errors.New("jobs: InsertStartedTx takes a started job")
	}
	now := time.Now().UTC()
	rows, err := q.driver.UnwrapExecutor(tx).JobInsertFullMany(ctx, &riverdriver.JobInsertFullManyParams{Jobs: []*riverdriver.JobInsertFullParams{{
		Attempt: 1, AttemptedAt: &now, AttemptedBy: []string{job.AttemptedBy}, CreatedAt: &now, EncodedArgs: job.Args, Kind: job.Kind,
		MaxAttempts: job.MaxAttempts, Metadata: []byte(`{}`), Priority: job.Priority, Queue: job.Queue, ScheduledAt: &now,
		State: rivertype.JobStateRunning, Tags: []string{},
	}}})
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", job.Kind, err)
	}
	if len(rows) != 1 {
		return 0, fmt.Errorf("enqueue %s: wrote %d jobs", job.Kind, len(rows))
	}
	return rows[0].ID, nil
}
