package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"modernc.org/sqlite"
)

// TestStatementCache runs the same texts on the write connection the way
// the job queue does, including a text used again while its rows are still
// open and more texts than the cache keeps, and checks every answer.
func TestStatementCache(t *testing.T) {
	t.Parallel()
	db := sql.OpenDB(cachingConnector{dsn: "file:" + filepath.Join(t.TempDir(), "c.db") + "?_txlock=immediate", drv: &sqlite.Driver{}})
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := tx.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (?, ?)", i, string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	// The same text again while its rows are open: each answer is its own.
	const byID = "SELECT v FROM t WHERE id >= ? ORDER BY id"
	outer, err := tx.QueryContext(ctx, byID, 8)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var v string
		if err := outer.Scan(&v); err != nil {
			t.Fatal(err)
		}
		var inner string
		if err := tx.QueryRowContext(ctx, byID, 9).Scan(&inner); err != nil {
			t.Fatal(err)
		}
		got = append(got, v+inner)
	}
	outer.Close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "ij" || got[1] != "jj" {
		t.Fatalf("nested use of one text: got %v, want [ij jj]", got)
	}
	// More distinct texts than the cache keeps, then the first ones again.
	for round := range 2 {
		for i := range stmtCacheSize + 20 {
			var n int
			q := "SELECT count(*) + " + string(rune('0'+i%10)) + " - " + string(rune('0'+i%10)) + " FROM t WHERE id < 10 AND ? >= 0 /* " + string(rune('A'+i%26)) + string(rune('A'+i/26)) + " */"
			if err := db.QueryRowContext(ctx, q, round).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 10 {
				t.Fatalf("round %d, text %d: count %d, want 10", round, i, n)
			}
		}
	}
	// An error leaves the statement usable.
	if _, err := db.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (?, ?)", 1, "dup"); err == nil {
		t.Fatal("a duplicate key was inserted")
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (?, ?)", 11, "l"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := db.QueryRowContext(ctx, "SELECT v FROM t WHERE id = ?", 11).Scan(&v); err != nil || v != "l" {
		t.Fatalf("after an error: %q %v", v, err)
	}
}
