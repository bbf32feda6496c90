package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/riverqueue/river"

	"github.com/plugboard/plugboard/internal/jobs"
	"github.com/plugboard/plugboard/internal/metrics"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

type markArgs struct{ N int }

func (markArgs) Kind() string { return "jobs_test_mark" }

// markWorker tells which node worked which job.
type markWorker struct {
	river.WorkerDefaults[markArgs]
	node   string
	worked chan<- string
}

func (w *markWorker) Work(_ context.Context, job *river.Job[markArgs]) error {
	w.worked <- fmt.Sprintf("%s worked job %d", w.node, job.Args.N)
	return nil
}

// node builds one node's queue on s, its worker reporting to worked.
func node(t *testing.T, s *store.Store, name string, worked chan<- string, adoptAfter time.Duration) *jobs.Queue {
	t.Helper()
	return nodeWithMetrics(t, s, name, worked, adoptAfter, nil)
}

// nodeWithMetrics is node counting what it adopts in m.
func nodeWithMetrics(t *testing.T, s *store.Store, name string, worked chan<- string, adoptAfter time.Duration, m *metrics.Metrics) *jobs.Queue {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &markWorker{node: name, worked: worked})
	q, err := jobs.New(context.Background(), jobs.Config{Store: s, Workers: workers, AdoptAfter: adoptAfter, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func insertOwn(t *testing.T, s *store.Store, q *jobs.Queue, n int) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.InsertOwnTx(ctx, tx, []river.InsertManyParams{{Args: markArgs{N: n}}}); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil && err != sql.ErrTxDone {
		t.Fatal(err)
	}
}

func start(t *testing.T, q *jobs.Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
}

// workedBy waits until n jobs were worked and reports each that a node
// other than want worked.
func workedBy(t *testing.T, worked <-chan string, n int, want string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for i := range n {
		select {
		case w := <-worked:
			if !strings.HasPrefix(w, want+" ") {
				t.Errorf("%s, want %s to work it", w, want)
			}
		case <-deadline:
			t.Fatalf("%d of %d jobs worked after 30s", i, n)
		}
	}
}

// On PostgreSQL, the jobs a node puts in its own queue (a batch of runs
// its ingest holds in memory) are worked by that node, though another
// node works the same kind of jobs from the same database.
func TestANodeWorksTheJobsOfItsOwnQueue(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.Postgres)
	worked := make(chan string, 100)
	a, b := node(t, s, "a", worked, 0), node(t, s, "b", worked, 0)
	start(t, a)
	start(t, b)
	const n = 40
	for i := range n {
		insertOwn(t, s, a, i)
		time.Sleep(5 * time.Millisecond)
	}
	workedBy(t, worked, n, "a")
}

// A node that dies leaves jobs in its own queue; another node adopts them
// into the shared queue once they have waited AdoptAfter, works them, and
// counts them in plugboard_jobs_adopted_total.
func TestJobsOfADeadNodesQueueAreAdopted(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.Postgres)
	worked := make(chan string, 100)
	dead := node(t, s, "dead", worked, 0) // inserts, never works: it died
	m := metrics.New(metrics.Options{})
	survivor := nodeWithMetrics(t, s, "survivor", worked, 500*time.Millisecond, m)
	start(t, survivor)
	const n = 5
	for i := range n {
		insertOwn(t, s, dead, i)
	}
	workedBy(t, worked, n, "survivor")
	var adopted dto.Metric
	if err := m.JobsAdopted.Write(&adopted); err != nil {
		t.Fatal(err)
	}
	if got := adopted.GetCounter().GetValue(); got != n {
		t.Errorf("plugboard_jobs_adopted_total = %v, want %d", got, n)
	}
}

// On SQLite there is one node: its own jobs go to the queue it works.
func TestOwnJobsRunOnSQLite(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.SQLite)
	worked := make(chan string, 10)
	q := node(t, s, "only", worked, 0)
	start(t, q)
	insertOwn(t, s, q, 1)
	workedBy(t, worked, 1, "only")
}

// Only nodes' own queues are adopted from: a job waiting in any other
// queue stays there, even one whose name starts like theirs.
func TestAdoptionLeavesOtherQueuesAlone(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.Postgres)
	worked := make(chan string, 10)
	survivor := node(t, s, "survivor", worked, 200*time.Millisecond)
	start(t, survivor)
	ctx := context.Background()
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := survivor.InsertTx(ctx, tx, []river.InsertManyParams{{Args: markArgs{N: 1}, InsertOpts: &river.InsertOpts{Queue: "nodes"}}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Two adoptions' worth of waiting past AdoptAfter.
	time.Sleep(time.Second)
	var queue string
	if err := s.DB().QueryRowContext(ctx, `SELECT queue FROM river_job WHERE kind = $1`, markArgs{}.Kind()).Scan(&queue); err != nil {
		t.Fatal(err)
	}
	if queue != "nodes" {
		t.Errorf("the job in queue nodes was moved to %q", queue)
	}
}
