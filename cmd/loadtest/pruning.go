package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to seed PostgreSQL
	_ "modernc.org/sqlite"

	"github.com/plugboard/plugboard/internal/id"
	"github.com/plugboard/plugboard/internal/retention"
)

// The pruning row measures signed ingest while the nodes' retention job
// prunes old events of the same webhook, against the ingest row: what a
// user's intake looks like while the job works through a backlog.
//
// Before each of its turns the tool writes old events straight into the
// database (the API takes no events from the past), as a backlog the job
// cannot finish within the turn, and after the turn it waits until the job
// has pruned them all, so that no pruning lands in another row's turn.
// The nodes run the job every pruneEvery while the row is among those
// measured.

const (
	pruneEvery = time.Second
	// oldAge is how old the written events are: beyond any plan's
	// retention (a year at most).
	oldAge = 1000 * 24 * time.Hour
)

// pruneRate is more events a second than the job can prune: a batch of
// its rows per pause between two, as if a batch's transaction took no
// time. The backlog is half as large again as that rate over the warm-up
// and the turn, so that it outlasts both even when the job starts the
// moment the backlog is written.
func pruneRate() float64 {
	c := retention.PrunerConfig{}.WithDefaults()
	return float64(c.BatchSize) / c.Pause.Seconds()
}

// pruning is the row: ingest as the ingest row does it, over a backlog
// of old events being pruned.
func (e *env) pruning(ctx context.Context, hc *http.Client, warmup, d time.Duration, newReq func(int) *http.Request) (result, error) {
	res := result{name: "pruning", unit: "ev/s", yardstick: "ingest"}
	// The job starts on its next tick after the backlog is written: the
	// warm-up covers one (and the measured time waits for the job anyway).
	warmup = max(warmup, pruneEvery+500*time.Millisecond)
	backlog := int(1.5 * pruneRate() * (warmup + d).Seconds())
	db, placeholder, err := e.openDatabase()
	if err != nil {
		return res, err
	}
	defer db.Close()
	if err := e.writeOldEvents(ctx, db, placeholder, backlog); err != nil {
		return res, fmt.Errorf("write %d old events: %w", backlog, err)
	}
	var before, after int
	var countErr error
	wait := max(2*time.Minute, 20*e.o.duration)
	res, err = e.hammerAround(ctx, hc, warmup, d, "pruning", "ingest", newReq,
		// The measured time begins once the job is pruning, however
		// long a busy machine takes to start it.
		func() { before, countErr = waitForPruning(ctx, db, placeholder, backlog, wait) },
		func() {
			if countErr == nil {
				after, countErr = countOld(ctx, db, placeholder)
			}
		})
	if err == nil {
		err = countErr
	}
	if err != nil {
		return res, err
	}
	switch {
	case before == after:
		return res, fmt.Errorf("the retention job pruned none of the %d old events left while the row was measured", before)
	case after == 0:
		return res, fmt.Errorf("the retention job pruned the whole backlog of %d old events before the row's turn ended, so part of the turn measured ingest alone", backlog)
	}
	res.pruned = int64(before - after)
	// The rest of the backlog goes before the next row.
	if left, err := waitForOld(ctx, db, placeholder, wait, func(left int) bool { return left == 0 }); err != nil {
		return res, err
	} else if left > 0 {
		return res, fmt.Errorf("%d old events were still there %s after the row's turn", left, wait)
	}
	return res, nil
}

// openDatabase opens the nodes' database beside them: the first node's
// SQLite file (its writes wait for the node's, as two connections of one
// process would) or the run's PostgreSQL database.
func (e *env) openDatabase() (*sql.DB, func(int) string, error) {
	if e.dbURL != "" {
		db, err := sql.Open("pgx", e.dbURL)
		return db, func(i int) string { return fmt.Sprintf("$%d", i) }, err
	}
	path := filepath.Join(e.dir, "node1", "plugboard.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(1)
	return db, func(int) string { return "?" }, nil
}

// writeOldEvents writes n events of the ingest webhook received oldAge
// ago, in one transaction: the job, which runs every pruneEvery, finds none
// of them before the backlog is whole. They carry no provider id, so no key
// of theirs is to be written or forgotten. On SQLite the write-ahead log is
// then copied into the database file, so that the copying of what the tool
// wrote does not fall in the row's turn.
func (e *env) writeOldEvents(ctx context.Context, db *sql.DB, placeholder func(int) string, n int) error {
	var orgID string
	if err := db.QueryRowContext(ctx, "SELECT org_id FROM webhooks WHERE id = "+placeholder(1), e.ingestHook).Scan(&orgID); err != nil {
		return fmt.Errorf("read the ingest webhook: %w", err)
	}
	body := event("old")
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const perStatement = 100
	for done := 0; done < n; {
		rows := min(perStatement, n-done)
		values := make([]string, 0, rows)
		args := make([]any, 0, rows*5)
		for range rows {
			at := time.Now().Add(-oldAge)
			k := len(args)
			values = append(values, fmt.Sprintf("(%s, %s, %s, '{}', %s, '', %s)",
				placeholder(k+1), placeholder(k+2), placeholder(k+3), placeholder(k+4), placeholder(k+5)))
			args = append(args, id.At("evt", at), orgID, e.ingestHook, body, at.UnixMilli())
			done++
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO webhook_events (id, org_id, webhook_id, headers, body, source_ip, received_at) VALUES "+strings.Join(values, ", "), args...); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if e.dbURL == "" {
		if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	return nil
}

// waitForPruning waits until the job has pruned some of the backlog of n
// events and returns how many are left.
func waitForPruning(ctx context.Context, db *sql.DB, placeholder func(int) string, n int, wait time.Duration) (int, error) {
	left, err := waitForOld(ctx, db, placeholder, wait, func(left int) bool { return left < n })
	if err == nil && left >= n {
		err = fmt.Errorf("the retention job pruned none of the %d old events within %s; is it running (PLUGBOARD_PRUNE_INTERVAL)?", n, wait)
	}
	return left, err
}

// waitForOld counts the old events again and again until done says the
// count is what it waits for, or wait has passed, and returns the last
// count.
func waitForOld(ctx context.Context, db *sql.DB, placeholder func(int) string, wait time.Duration, done func(left int) bool) (int, error) {
	deadline := time.Now().Add(wait)
	for {
		left, err := countOld(ctx, db, placeholder)
		if err != nil || done(left) || time.Now().After(deadline) {
			return left, err
		}
		select {
		case <-ctx.Done():
			return left, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// countOld counts the events older than any retention: the backlog left.
func countOld(ctx context.Context, db *sql.DB, placeholder func(int) string) (int, error) {
	var n int
	err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM webhook_events WHERE id < "+placeholder(1),
		id.Before("evt", time.Now().Add(-oldAge/2))).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count the old events: %w", err)
	}
	return n, nil
}
