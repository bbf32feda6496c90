package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/plugboard/plugboard/internal/metrics"
	"github.com/plugboard/plugboard/internal/store"
)

// PruneArgs is the periodic job that prunes what retention lets go.
type PruneArgs struct{}

// Kind names the job in the queue.
func (PruneArgs) Kind() string { return "retention.prune" }

// PrunerConfig tunes the pruner.
type PrunerConfig struct {
	Store  *store.Store
	Logger *slog.Logger
	// Metrics, when set, counts the rows pruned.
	Metrics *metrics.Metrics
	// Interval is how often the job runs (on one node of a cluster: the
	// queue's leader enqueues it). Defaults to 10m.
	Interval time.Duration
	// BatchSize is how many rows one transaction removes. Defaults to 250.
	BatchSize int
	// Pause is the rest between two batches, in which intake has the
	// database's writer. Defaults to 50ms.
	Pause time.Duration
	// Budget is the longest one run prunes; when rows are left, the job
	// runs again after a Pause. Defaults to 30s, and to half the job's
	// timeout when that is shorter.
	Budget time.Duration
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

// WithDefaults returns a copy with every zero field set.
func (c PrunerConfig) WithDefaults() PrunerConfig {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Interval == 0 {
		c.Interval = 10 * time.Minute
	}
	if c.BatchSize == 0 {
		c.BatchSize = 250
	}
	if c.Pause == 0 {
		c.Pause = 50 * time.Millisecond
	}
	if c.Budget == 0 {
		c.Budget = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Pruner removes, in small batches, what each store.PruneRules entry lets
// go under each organization's policy.
type Pruner struct {
	river.WorkerDefaults[PruneArgs]
	cfg PrunerConfig
}

// NewPruner returns a pruner.
func NewPruner(cfg PrunerConfig) *Pruner { return &Pruner{cfg: cfg.WithDefaults()} }

// Register adds the pruner to the queue's workers.
func (p *Pruner) Register(w *river.Workers) { river.AddWorker(w, p) }

// Periodic is the schedule the queue runs the pruner on, starting at once.
func (p *Pruner) Periodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(p.cfg.Interval), func() (river.JobArgs, *river.InsertOpts) {
		// One prune job at a time: a run still working off a backlog
		// (snoozed between its runs) keeps the next from being added.
		return PruneArgs{}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled,
		}}}
	}, &river.PeriodicJobOpts{RunOnStart: true})
}

// Work runs one pass within the job's time.
func (p *Pruner) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	budget := p.cfg.Budget
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl)/2)
	}
	_, more, err := p.Run(ctx, budget)
	if err == nil && more {
		// A backlog (a first start, a shortened retention) is worked off in
		// runs that follow each other, not one per interval.
		return river.JobSnooze(p.cfg.Pause)
	}
	return err
}

// Report counts what one pass pruned, by rule name.
type Report map[string]int64

// Run prunes for at most budget and reports what went, and whether rows
// to prune were left when the budget ran out. Rules are taken in
// order, organizations one by one, each in batches of BatchSize with a
// pause between them.
func (p *Pruner) Run(ctx context.Context, budget time.Duration) (Report, bool, error) {
	start, began := p.cfg.Now(), time.Now()
	deadline := began.Add(budget)
	orgs, err := p.cfg.Store.ListOrgRetention(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("prune: %w", err)
	}
	policies := make([]Policy, len(orgs))
	for i, o := range orgs {
		policies[i] = PolicyOf(o)
	}
	report := Report{}
	var errs []error
	for _, rule := range store.PruneRules {
		if !rule.PerOrg {
			n, err := p.drain(ctx, rule, "", start.Add(-Policy{}.keep(rule.Keep)), deadline)
			report[rule.Name] += n
			errs = append(errs, err)
			continue
		}
		for i, o := range orgs {
			n, err := p.drain(ctx, rule, o.OrgID, start.Add(-policies[i].keep(rule.Keep)), deadline)
			report[rule.Name] += n
			errs = append(errs, err)
		}
	}
	total := int64(0)
	for name, n := range report {
		total += n
		if p.cfg.Metrics != nil && n > 0 {
			p.cfg.Metrics.Pruned.WithLabelValues(strings.ReplaceAll(name, " ", "_")).Add(float64(n))
		}
	}
	if total > 0 {
		attrs := []any{"rows", total, "duration_ms", time.Since(began).Milliseconds()}
		for name, n := range report {
			if n > 0 {
				attrs = append(attrs, name, n)
			}
		}
		p.cfg.Logger.InfoContext(ctx, "pruned what retention lets go", attrs...)
	}
	more := !time.Now().Before(deadline)
	if err := errors.Join(errs...); err != nil && ctx.Err() == nil {
		return report, more, err
	}
	return report, more, nil
}

// drain prunes one rule for one organization (or all) until nothing is
// left, or the deadline passes.
func (p *Pruner) drain(ctx context.Context, rule store.PruneRule, orgID string, before time.Time, deadline time.Time) (int64, error) {
	total := int64(0)
	for time.Now().Before(deadline) {
		n, err := p.cfg.Store.Prune(ctx, rule, orgID, before, p.cfg.BatchSize)
		total += n
		if err != nil || n < int64(p.cfg.BatchSize) {
			return total, err
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(p.cfg.Pause):
		}
	}
	return total, nil
}
