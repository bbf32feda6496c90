package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/plugboard/plugboard/internal/jobs"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// startingNode builds a node that starts the markArgs jobs it writes
// itself, working them with started; the attempts River fetches go to the
// markWorker, reporting to worked.
func startingNode(t *testing.T, s *store.Store, name string, worked chan<- string, cfg jobs.Config, started jobs.StartedFunc) *jobs.Queue {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &markWorker{node: name, worked: worked})
	cfg.Store, cfg.Workers = s, workers
	cfg.Started = map[string]jobs.StartedFunc{markArgs{}.Kind(): started}
	q, err := jobs.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// intake writes, as an ingest batch does, an event, its run and the job
// q resolves for markArgs{N: n}, and returns the job and its id: on
// PostgreSQL in one statement, on SQLite in a transaction, where a job the
// node does not start is enqueued by River.
func intake(t *testing.T, s *store.Store, q *jobs.Queue, n int) (store.JobRow, int64) {
	t.Helper()
	ctx := context.Background()
	hook := newHook(t, s, n)
	now := time.Now()
	event := store.Event{ID: store.EventIDAt(now), OrgID: hook.OrgID, WebhookID: hook.ID, ProviderEventID: fmt.Sprint(n), Headers: `{}`, Body: []byte(`{}`), ReceivedAt: now}
	run := store.TriggerRun{ID: store.NewRunID(), OrgID: hook.OrgID, WebhookID: hook.ID, EventID: event.ID, TriggerID: "trg_a", CreatedAt: now}
	params := []river.InsertManyParams{{Args: markArgs{N: n}}}
	job, ok, err := q.OwnJob(params)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if s.Engine() == store.Postgres {
		if !ok {
			t.Fatal("OwnJob did not resolve the job on PostgreSQL")
		}
		_, id, err = s.InsertIntake(ctx, []store.Event{event}, []store.TriggerRun{run}, job)
	} else {
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.InsertEventsWithRuns(ctx, []store.Event{event}, []store.TriggerRun{run}); err != nil {
				return err
			}
			if ok {
				id, err = q.InsertStartedTx(ctx, tx.SQL(), job)
				return err
			}
			if err := q.InsertOwnTx(ctx, tx.SQL(), params); err != nil {
				return err
			}
			return tx.SQL().QueryRowContext(ctx, `SELECT max(id) FROM river_job`).Scan(&id)
		})
	}
	if err != nil || id == 0 {
		t.Fatalf("intake wrote job %d: %v", id, err)
	}
	return job, id
}

// newHook makes an organization (the nth of the store) with a webhook.
func newHook(t *testing.T, s *store.Store, n int) store.Webhook {
	t.Helper()
	ctx := context.Background()
	org, _, err := s.CreateOrg(ctx, store.Org{Name: "Acme", Plan: "growth"}, store.User{Email: fmt.Sprintf("jobs%d@example.com", n), Name: "Ada"},
		"bootstrap", fmt.Sprintf("pb_jobs%d", n), fmt.Sprintf("hash-jobs%d", n))
	if err != nil {
		t.Fatal(err)
	}
	hook, err := s.CreateWebhook(ctx, store.Webhook{ID: store.NewWebhookID(), OrgID: org.ID, Name: "hook", Source: "github", Secret: "sealed"})
	if err != nil {
		t.Fatal(err)
	}
	return hook
}

type jobState struct {
	State, Queue string
	Attempt      int
	AttemptedBy  []string
	Errors       []string
	Finalized    bool
}

func readJob(t *testing.T, s *store.Store, id int64) jobState {
	t.Helper()
	var j jobState
	var by, errs []byte
	query := `SELECT state, queue, attempt, to_json(coalesce(attempted_by, '{}')), to_json(coalesce(errors, '{}')), finalized_at IS NOT NULL
		FROM river_job WHERE id = $1`
	if s.Engine() == store.SQLite {
		// River's SQLite tables hold JSON in SQLite's binary form.
		query = `SELECT state, queue, attempt, coalesce(json(attempted_by), '[]'), coalesce(json(errors), '[]'), finalized_at IS NOT NULL
			FROM river_job WHERE id = $1`
	}
	if err := s.DB().QueryRowContext(context.Background(), query, id).Scan(&j.State, &j.Queue, &j.Attempt, &by, &errs, &j.Finalized); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(by, &j.AttemptedBy); err != nil {
		t.Fatal(err)
	}
	var attempts []rivertype.AttemptError
	if err := json.Unmarshal(errs, &attempts); err != nil {
		t.Fatal(err)
	}
	for _, a := range attempts {
		j.Errors = append(j.Errors, fmt.Sprintf("attempt %d: %s", a.Attempt, a.Error))
	}
	return j
}

// waitJob waits until the job's row satisfies ok.
func waitJob(t *testing.T, s *store.Store, id int64, what string, ok func(jobState) bool) jobState {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j := readJob(t, s, id)
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %+v after 30s; want it %s", id, j, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A node starts a job it writes itself: the row is written as River's
// fetch leaves a job it took (running its first attempt, by this node),
// no fetch is asked for, the node works it at once with the row it wrote,
// and completes it as River would.
func TestANodeStartsTheJobsItWrites(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		worked := make(chan string, 10)
		rows := make(chan *rivertype.JobRow, 10)
		q := startingNode(t, s, "a", worked, jobs.Config{}, func(_ context.Context, row *rivertype.JobRow) error {
			rows <- row
			return nil
		})
		start(t, q)

		job, id := intake(t, s, q, 1)
		if !job.Started || job.Payload != "" {
			t.Fatalf("OwnJob on a started node = started %v, notification %q; want it started and no notification", job.Started, job.Payload)
		}
		written := readJob(t, s, id)
		if written.State != "running" || written.Attempt != 1 || len(written.AttemptedBy) != 1 || written.AttemptedBy[0] != job.AttemptedBy || job.AttemptedBy == "" {
			t.Errorf("written as %+v; want running its first attempt by %q", written, job.AttemptedBy)
		}
		q.Run(job, id)
		select {
		case row := <-rows:
			var args markArgs
			if err := json.Unmarshal(row.EncodedArgs, &args); err != nil || row.ID != id || row.Attempt != 1 || args.N != 1 || row.Kind != (markArgs{}).Kind() {
				t.Errorf("worked job %d, attempt %d, kind %s, args %s; want job %d's first attempt of {\"N\": 1}", row.ID, row.Attempt, row.Kind, row.EncodedArgs, id)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the started job was not worked")
		}
		waitJob(t, s, id, "completed", func(j jobState) bool { return j.State == "completed" && j.Finalized })
		select {
		case w := <-worked:
			t.Errorf("River worked the started job as well: %s", w)
		case <-time.After(300 * time.Millisecond):
		}
	})
}

// A started job that fails is retryable with its error, as River records
// a worker's failure, and River works the next attempt.
func TestAStartedJobThatFailsIsRetried(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		worked := make(chan string, 10)
		q := startingNode(t, s, "a", worked, jobs.Config{}, func(context.Context, *rivertype.JobRow) error {
			return errors.New("the upstream is down")
		})
		start(t, q)
		job, id := intake(t, s, q, 7)
		q.Run(job, id)
		workedBy(t, worked, 1, "a") // River's fetch of the second attempt
		j := waitJob(t, s, id, "completed", func(j jobState) bool { return j.State == "completed" })
		if j.Attempt != 2 || len(j.Errors) != 1 || j.Errors[0] != "attempt 1: the upstream is down" {
			t.Errorf("completed at attempt %d with errors %q; want attempt 2 after the first one's error", j.Attempt, j.Errors)
		}
	})
}

// A panic in a started job fails it as an error would, and the node goes on.
func TestAStartedJobThatPanicsIsRetried(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		worked := make(chan string, 10)
		q := startingNode(t, s, "a", worked, jobs.Config{}, func(context.Context, *rivertype.JobRow) error {
			panic("nil map")
		})
		start(t, q)
		job, id := intake(t, s, q, 8)
		q.Run(job, id)
		workedBy(t, worked, 1, "a")
		if j := waitJob(t, s, id, "completed", func(j jobState) bool { return j.State == "completed" }); len(j.Errors) != 1 || j.Errors[0] != "attempt 1: panic: nil map" {
			t.Errorf("errors %q; want the panic", j.Errors)
		}
	})
}

// A node that dies with a started job leaves it running. On PostgreSQL
// River rescues it after RescueAfter, and another node adopts it from the
// dead node's queue and works it. On SQLite the node is the database's
// only user: it works the job as soon as it starts again, without waiting
// for RescueAfter (three minutes here).
func TestAStartedJobOfADeadNodeIsWorkedAgain(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		worked := make(chan string, 10)
		cfg := jobs.Config{}
		if engine == store.Postgres {
			cfg = jobs.Config{JobTimeout: 500 * time.Millisecond, RescueAfter: time.Second, AdoptAfter: 200 * time.Millisecond}
		}
		dead := startingNode(t, s, "dead", worked, cfg, func(context.Context, *rivertype.JobRow) error { return nil })
		start(t, dead)
		job, id := intake(t, s, dead, 3)
		if !job.Started {
			t.Fatal("the job was not started")
		}
		// The node dies before it works the job: it never calls Run, and
		// stops without completing anything.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = dead.Stop(ctx)
		if j := readJob(t, s, id); j.State != "running" {
			t.Fatalf("the job the node died with is %s; want it left running", j.State)
		}
		if engine == store.Postgres {
			time.Sleep(cfg.RescueAfter)
		}
		survivor := startingNode(t, s, "survivor", worked, cfg, func(context.Context, *rivertype.JobRow) error { return nil })
		start(t, survivor)
		workedBy(t, worked, 1, "survivor")
		if j := waitJob(t, s, id, "completed", func(j jobState) bool { return j.State == "completed" }); j.Queue != river.QueueDefault || j.Attempt != 2 {
			t.Errorf("completed in queue %q at attempt %d; want the shared queue's second attempt", j.Queue, j.Attempt)
		}
	})
}

// A node that stops lets started jobs finish; one that does not finish in
// time is cancelled and left retryable, with the cancellation as its error.
func TestAStoppingNodeHandsBackTheJobsItCannotFinish(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		worked := make(chan string, 10)
		began := make(chan int, 10)
		q := startingNode(t, s, "a", worked, jobs.Config{}, func(ctx context.Context, row *rivertype.JobRow) error {
			var args markArgs
			_ = json.Unmarshal(row.EncodedArgs, &args)
			began <- args.N
			if args.N == 1 {
				time.Sleep(200 * time.Millisecond) // finishes within the stop's time
				return nil
			}
			<-ctx.Done() // never finishes by itself
			return ctx.Err()
		})
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		quick, qid := intake(t, s, q, 1)
		slow, sid := intake(t, s, q, 2)
		q.Run(quick, qid)
		q.Run(slow, sid)
		<-began
		<-began
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := q.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Stop = %v; want it to report running out of time", err)
		}
		if j := readJob(t, s, qid); j.State != "completed" {
			t.Errorf("the job that finished in time is %s, want completed", j.State)
		}
		if j := readJob(t, s, sid); j.State != "retryable" || len(j.Errors) != 1 {
			t.Errorf("the job cut short is %s with errors %q; want retryable with its cancellation", j.State, j.Errors)
		}
		// A stopped node starts nothing more: its next job waits for a fetch.
		if job, _, _ := q.OwnJob([]river.InsertManyParams{{Args: markArgs{N: 3}}}); job.Started {
			t.Error("a stopped node started a job")
		}
	})
}

// A node starts no more jobs at once than it runs (Concurrency); the next
// one is written for River's fetch, and worked by River (markWorker).
func TestANodeStartsNoMoreJobsThanItRuns(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		worked := make(chan string, 10)
		release := make(chan struct{})
		q := startingNode(t, s, "a", worked, jobs.Config{Concurrency: 1}, func(ctx context.Context, _ *rivertype.JobRow) error {
			<-release
			return nil
		})
		start(t, q)
		first, fid := intake(t, s, q, 1)
		q.Run(first, fid)
		second, sid := intake(t, s, q, 2)
		if second.Started {
			t.Fatal("a second job was started while the only slot was taken")
		}
		close(release)
		workedBy(t, worked, 1, "a")
		waitJob(t, s, fid, "completed", func(j jobState) bool { return j.State == "completed" })
		waitJob(t, s, sid, "completed", func(j jobState) bool { return j.State == "completed" })
		// The slot is free again.
		third, tid := intake(t, s, q, 3)
		if !third.Started {
			t.Error("no job was started once the slot was free")
		}
		q.Run(third, tid)
	})
}

// A started job whose batch wrote nothing (every event a repeat) gives
// its slot back.
func TestAStartedJobNotWrittenGivesItsSlotBack(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		q := startingNode(t, s, "a", make(chan string, 10), jobs.Config{Concurrency: 1}, func(context.Context, *rivertype.JobRow) error { return nil })
		start(t, q)
		job, _, _ := q.OwnJob([]river.InsertManyParams{{Args: markArgs{N: 1}}})
		if !job.Started {
			t.Fatal("not started")
		}
		q.Run(job, 0)
		if again, _, _ := q.OwnJob([]river.InsertManyParams{{Args: markArgs{N: 2}}}); !again.Started {
			t.Error("the slot of a job not written was not given back")
		} else {
			q.Run(again, 0)
		}
	})
}

// A started job enqueues jobs as one River fetched would (InsertFromJob):
// a batch of trigger runs schedules the runs to try again later.
func TestAStartedJobEnqueuesJobs(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		worked := make(chan string, 10)
		q := startingNode(t, s, "a", worked, jobs.Config{}, func(ctx context.Context, _ *rivertype.JobRow) error {
			return jobs.InsertFromJob(ctx, []river.InsertManyParams{{Args: markArgs{N: 99}}})
		})
		start(t, q)
		job, id := intake(t, s, q, 1)
		q.Run(job, id)
		select {
		case w := <-worked:
			if w != "a worked job 99" {
				t.Errorf("%s; want the job the started one enqueued", w)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the job a started job enqueued was not worked")
		}
		waitJob(t, s, id, "completed", func(j jobState) bool { return j.State == "completed" })
	})
}

// Outside a job there is nothing to enqueue from.
func TestInsertFromJobOutsideAJob(t *testing.T) {
	t.Parallel()
	if err := jobs.InsertFromJob(context.Background(), []river.InsertManyParams{{Args: markArgs{N: 1}}}); err == nil {
		t.Error("InsertFromJob outside a job = nil; want an error")
	}
}

type enqueueArgs struct{}

func (enqueueArgs) Kind() string { return "jobs_test_enqueue" }

type enqueueWorker struct {
	river.WorkerDefaults[enqueueArgs]
}

func (enqueueWorker) Work(ctx context.Context, _ *river.Job[enqueueArgs]) error {
	return jobs.InsertFromJob(ctx, []river.InsertManyParams{{Args: markArgs{N: 100}}})
}

// A job River fetched enqueues jobs through InsertFromJob too, on both
// engines.
func TestAFetchedJobEnqueuesJobs(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.SQLite, store.Postgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			worked := make(chan string, 10)
			workers := river.NewWorkers()
			river.AddWorker(workers, &markWorker{node: "a", worked: worked})
			river.AddWorker(workers, enqueueWorker{})
			q, err := jobs.New(context.Background(), jobs.Config{Store: s, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			start(t, q)
			ctx := context.Background()
			tx, err := s.DB().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.InsertTx(ctx, tx, []river.InsertManyParams{{Args: enqueueArgs{}}}); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			select {
			case w := <-worked:
				if w != "a worked job 100" {
					t.Errorf("%s; want the job the fetched one enqueued", w)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the job a fetched job enqueued was not worked")
			}
		})
	}
}
