// Package jobs is Plugboard's durable job queue: River
// (github.com/riverqueue/river) on the store's own database, so a job is
// inserted in the same transaction as the rows it is about. SQLite uses
// River's SQLite driver and PostgreSQL its database/sql driver; the same
// workers run on both. The queue knows no job kind: each domain brings its
// workers (package trigger's runs) when the queue is built.
package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/plugboard/plugboard/internal/logging"
	"github.com/plugboard/plugboard/internal/metrics"
	"github.com/plugboard/plugboard/internal/store"
)

// Config wires a Queue.
type Config struct {
	Store *store.Store
	// Workers work the jobs this node runs.
	Workers *river.Workers
	// Periodic are jobs the queue enqueues on a schedule (on one node of
	// a cluster, its leader). Defaults to none.
	Periodic []*river.PeriodicJob
	// Started works, by kind, the jobs this node starts itself as it
	// writes them (see OwnJob and Run). A kind here needs a worker in
	// Workers too, for the attempts River fetches.
	Started map[string]StartedFunc
	Logger  *slog.Logger
	// Metrics, when set, counts the jobs this node adopts.
	Metrics *metrics.Metrics

	// Concurrency is how many jobs one node runs at once. Defaults to 200:
	// jobs mostly wait (for an API, for a shared commit), and the more of
	// them wait together, the more writes each SQLite commit carries.
	Concurrency int
	// PollInterval is how often a node looks for jobs that became due.
	// Defaults to 100ms.
	PollInterval time.Duration
	// JobTimeout bounds one job. Defaults to 2m.
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before it is presumed
	// orphaned by a node that died and is run again. It must exceed
	// JobTimeout. Defaults to JobTimeout + 1m.
	RescueAfter time.Duration
	// AdoptAfter is how long a job may wait in another node's own queue
	// (see InsertOwnTx) before this node moves it to the shared queue:
	// that node died or fell behind. Defaults to 5s.
	AdoptAfter time.Duration
}

// WithDefaults returns a copy with every zero field set.
func (c Config) WithDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = 200
	}
	if c.PollInterval == 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = 2 * time.Minute
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = c.JobTimeout + time.Minute
	}
	if c.AdoptAfter == 0 {
		c.AdoptAfter = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("jobs: Config.Store is required")
	case c.Workers == nil:
		return errors.New("jobs: Config.Workers is required")
	case c.AdoptAfter < 0:
		return fmt.Errorf("jobs: Config.AdoptAfter (%s) must not be negative", c.AdoptAfter)
	case c.RescueAfter <= c.JobTimeout:
		return fmt.Errorf("jobs: Config.RescueAfter (%s) must exceed Config.JobTimeout (%s)", c.RescueAfter, c.JobTimeout)
	}
	return nil
}

// Queue inserts and works jobs.
//
// On PostgreSQL, where nodes share the queue, each node also has a queue of
// its own for jobs whose inputs it holds in memory (a batch of trigger runs
// its ingest just wrote): it works them without another node taking them
// and reading back what it holds. A job that waits in a node's own queue
// longer than AdoptAfter is moved to the shared queue by whichever node
// looks first, so jobs of a node that died (those it had not fetched, and
// those River rescues from it) or that fell behind are worked by the others.
type Queue struct {
	cfg     Config
	client  *river.Client[*sql.Tx]
	driver  riverdriver.Driver[*sql.Tx]
	own     string // this node's own queue; "" on SQLite, where there is one node
	started bool
	stop    context.CancelFunc // ends the adoption loop
	adopted chan struct{}      // closed when the adoption loop has ended
	notices insertNotices      // of jobs OwnJob resolves

	startedJobs started // jobs this node starts itself; see Run
}

// ownQueuePrefix starts the name of every node's own queue.
const ownQueuePrefix = "node_"

// New migrates River's tables and builds the client; Start runs workers.
func New(ctx context.Context, cfg Config) (*Queue, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	q := &Queue{cfg: cfg}
	db := cfg.Store.DB()
	var driver riverdriver.Driver[*sql.Tx]
	if cfg.Store.Engine() == store.SQLite {
		driver = riversqlite.New(db)
	} else {
		driver = riverdatabasesql.NewWithPgxListener(db, cfg.Store.PgxPool())
	}
	if err := migrate(ctx, cfg.Store, driver, cfg.Logger); err != nil {
		return nil, err
	}
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Concurrency}}
	if cfg.Store.Engine() == store.Postgres {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		q.own = ownQueuePrefix + hex.EncodeToString(b)
		queues[q.own] = river.QueueConfig{MaxWorkers: cfg.Concurrency}
	}
	client, err := river.NewClient(driver, &river.Config{
		Queues:               queues,
		Workers:              cfg.Workers,
		PeriodicJobs:         cfg.Periodic,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        fetchCooldown(cfg),
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		Logger:               logging.Library(cfg.Logger.With("component", "jobs")),
		ErrorHandler:         &errorHandler{logger: cfg.Logger},
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	q.client, q.driver = client, driver
	q.notices.every = fetchCooldown(cfg)
	if len(cfg.Started) > 0 {
		q.startedJobs = started{work: cfg.Started, slots: make(chan struct{}, cfg.Concurrency),
			done: make(chan int64, cfg.Concurrency), completed: make(chan struct{})}
	}
	return q, nil
}

// fetchCooldown is the least time between two fetches of a queue.
func fetchCooldown(cfg Config) time.Duration { return min(cfg.PollInterval, 20*time.Millisecond) }

// lockMigrate is the PostgreSQL advisory lock key of the queue's
// migration (the store's own migrations take another).
const lockMigrate = 7429002

// migrate brings River's tables up to date. On PostgreSQL a session
// advisory lock makes one of several starting nodes do it; River applies
// each version in its own transaction (some cannot share one).
func migrate(ctx context.Context, s *store.Store, driver riverdriver.Driver[*sql.Tx], logger *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logging.Library(logger.With("component", "jobs"))})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if s.Engine() == store.Postgres {
		conn, err := s.DB().Conn(ctx)
		if err != nil {
			return fmt.Errorf("jobs: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockMigrate); err != nil {
			return fmt.Errorf("jobs: migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockMigrate)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate the queue's tables: %w", err)
	}
	return nil
}

// Start runs the workers. On SQLite this node is the database's only user,
// so jobs still marked running were cut off by a crash or kill: they are
// made available again at once rather than after RescueAfter.
func (q *Queue) Start(ctx context.Context) error {
	if q.cfg.Store.Engine() == store.SQLite {
		if _, err := q.cfg.Store.DB().ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`); err != nil {
			return fmt.Errorf("jobs: requeue interrupted jobs: %w", err)
		}
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	s := &q.startedJobs
	if s.done != nil {
		s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
		go q.completeLoop()
	}
	s.mu.Lock()
	q.started = true
	s.mu.Unlock()
	if q.own != "" {
		actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		q.stop, q.adopted = cancel, make(chan struct{})
		go q.adoptLoop(actx)
	}
	return nil
}

// adoptLoop adopts waiting jobs of other nodes' own queues until ctx ends,
// looking five times per AdoptAfter.
func (q *Queue) adoptLoop(ctx context.Context) {
	defer close(q.adopted)
	tick := time.NewTicker(q.cfg.AdoptAfter / 5)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n, err := q.adopt(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			q.cfg.Logger.WarnContext(ctx, "adopt jobs of other nodes", "error", err)
		case n > 0:
			if q.cfg.Metrics != nil {
				q.cfg.Metrics.JobsAdopted.Add(float64(n))
			}
			q.cfg.Logger.InfoContext(ctx, "adopted jobs that waited in another node's queue; that node died or fell behind",
				"jobs", n, "waited_over", q.cfg.AdoptAfter)
		}
	}
}

// adopt moves the jobs that have waited longer than AdoptAfter in another
// node's own queue to the shared one (its name's "_" escaped: in LIKE it
// would match any character). Only jobs no node is running move: a
// fetch that takes a job first leaves it running, and this statement then
// passes it by. Two nodes adopting at once move each job once.
func (q *Queue) adopt(ctx context.Context) (int64, error) {
	res, err := q.cfg.Store.DB().ExecContext(ctx, `UPDATE river_job SET queue = $1
		WHERE state IN ('available', 'retryable', 'scheduled') AND queue LIKE $2 AND queue <> $3
		AND scheduled_at < now() - make_interval(secs => $4)`,
		river.QueueDefault, strings.ReplaceAll(ownQueuePrefix, "_", `\_`)+"%", q.own, q.cfg.AdoptAfter.Seconds())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Stop lets running jobs finish (up to ctx's deadline, then cancels them)
// and stops the workers.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.started {
		return nil
	}
	s := &q.startedJobs
	s.mu.Lock()
	q.started = false
	s.mu.Unlock()
	if q.stop != nil {
		q.stop()
		<-q.adopted
	}
	startedErr := q.stopStarted(ctx)
	err := q.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = q.client.StopAndCancel(cctx)
	}
	return errors.Join(startedErr, err)
}

// InsertTx enqueues jobs in tx, so they exist exactly when the rows that
// describe them commit.
func (q *Queue) InsertTx(ctx context.Context, tx *sql.Tx, jobs []river.InsertManyParams) error {
	if len(jobs) == 0 {
		return nil
	}
	if _, err := q.client.InsertManyFastTx(ctx, tx, jobs); err != nil {
		return fmt.Errorf("enqueue %d jobs: %w", len(jobs), err)
	}
	return nil
}

// InsertOwnTx is InsertTx for jobs whose inputs this node holds in
// memory: on PostgreSQL they go to this node's own queue, where no other
// node takes them unless they wait longer than AdoptAfter.
func (q *Queue) InsertOwnTx(ctx context.Context, tx *sql.Tx, jobs []river.InsertManyParams) error {
	if q.own != "" {
		for i := range jobs {
			opts := river.InsertOpts{}
			if jobs[i].InsertOpts != nil {
				opts = *jobs[i].InsertOpts
			}
			opts.Queue = q.own
			jobs[i].InsertOpts = &opts
		}
	}
	return q.InsertTx(ctx, tx, jobs)
}

type errorHandler struct{ logger *slog.Logger }

func (h *errorHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.logger.WarnContext(ctx, "job failed", "kind", job.Kind, "job_id", job.ID, "attempt", job.Attempt, "error", err)
	return nil
}

func (h *errorHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	h.logger.ErrorContext(ctx, "job panicked", "kind", job.Kind, "job_id", job.ID, "panic", panicVal, "stack", trace)
	return nil
}
