package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckpointsBesideTheWriter shows the write-ahead log reaching the
// database file without the writer doing it, and the log staying bounded
// under a steady stream of commits.
func TestCheckpointsBesideTheWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, wal := filepath.Join(dir, "plugboard.db"), filepath.Join(dir, "plugboard.db-wal")
	size := func(path string) int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	n := 0
	write := func(rows, bytes int) {
		t.Helper()
		err := s.InTx(ctx, func(tx *Tx) error {
			for range rows {
				n++
				if _, err := tx.tx.ExecContext(ctx, s.q(`INSERT INTO idempotency_keys (org_id, scope, idem_key, fingerprint, result, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
					"org_1", "test", fmt.Sprint(n), "f", strings.Repeat("x", bytes), n); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	// 1.6 MB is about 400 pages, well short of the length at which the
	// writer checkpoints itself: only the background checkpointer can
	// bring it into the database file.
	before := size(db)
	for range 20 {
		write(10, 8<<10)
	}
	deadline := time.Now().Add(5 * time.Second)
	for size(db) < before+1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file grew from %d to %d bytes after 1.6 MB of commits; the checkpointer did not copy them from the log", before, size(db))
		}
		time.Sleep(20 * time.Millisecond)
	}

	// 64 MB more, commit after commit: the log starts over instead of
	// holding all of it. It may run past writerCheckpointPages by a few
	// commits: the writer's own checkpoint gives way while the background
	// one holds the lock, and tries again after its next commit.
	for range 128 {
		write(64, 8<<10)
	}
	if got, most := size(wal), int64(writerCheckpointPages+2500)*4096; got > most {
		t.Fatalf("the write-ahead log is %d bytes after 64 MB of steady commits; want at most %d", got, most)
	}

	// Statement journals (a multi-row insert's undo record) stay in memory.
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		s.Close() // a second close does nothing
	}()
	var temp int
	if err := s.w.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&temp); err != nil || temp != 2 {
		t.Fatalf("the writer's temp_store = %d (%v), want 2 (memory)", temp, err)
	}
}
