package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointEvery is how often the background checkpointer copies the
// write-ahead log into the database file.
const checkpointEvery = 100 * time.Millisecond

// writerCheckpointPages is the write-ahead log's length, in pages, at which
// the writer checkpoints itself after a commit (SQLite's automatic
// checkpoint). The background checkpointer has copied all but the last
// moments of it by then, so the writer's share is small; it is what lets
// the log start over from its beginning under a steady stream of commits,
// which a checkpoint running beside them cannot.
const writerCheckpointPages = 4000

// checkpointer copies committed pages from the write-ahead log into the
// database file on a connection of its own, beside the writer. Left to the
// writer, each thousandth page's commit also copied a thousand pages and
// synced the database file while every delivery waiting for the next commit
// waited for that too.
type checkpointer struct {
	db      *sql.DB
	quit    chan struct{}
	wg      sync.WaitGroup
	stopped sync.Once
}

func startCheckpointer(path string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", sqliteDSN(path, "_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)"))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	c := &checkpointer{db: db, quit: make(chan struct{})}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		tick := time.NewTicker(checkpointEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
			case <-c.quit:
				return
			}
			// PASSIVE copies what no reader still needs and never waits
			// for the writer or a reader. An error (the writer's own
			// checkpoint holding the lock, say) waits for the next tick.
			_, _ = c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}()
	return c, nil
}

// stop ends the checkpoints; a second call does nothing, as a second
// Store.Close does.
func (c *checkpointer) stop() error {
	var err error
	c.stopped.Do(func() {
		close(c.quit)
		c.wg.Wait()
		err = c.db.Close()
	})
	return err
}
