// Package storetest gives tests throwaway databases on both engines.
//
// PostgreSQL tests connect to PLUGBOARD_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/postgres), create a database of their
// own and drop it when the test ends. When PostgreSQL is unreachable they
// are skipped, except under CI=true where that is a failure.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

// AdminURL is the PostgreSQL server tests create their databases on.
func AdminURL() string {
	if u := os.Getenv("PLUGBOARD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// PostgresURL creates an empty database for t and returns its URL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI but unreachable at %s: %v", AdminURL(), err)
		}
		t.Skipf("PostgreSQL unreachable at %s (set PLUGBOARD_TEST_POSTGRES_URL): %v", AdminURL(), err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "plugboard_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Location returns where a store on engine lives for t, as store.Open
// takes it: a database URL (a new PostgreSQL database, or "" for SQLite)
// and a data folder. Tests that reopen a store, or start servers on it,
// open it there again.
func Location(t testing.TB, engine string) (dbURL, dataDir string) {
	t.Helper()
	if engine == store.Postgres {
		dbURL = PostgresURL(t)
	}
	return dbURL, t.TempDir()
}

// Open returns a migrated store on engine ("sqlite" or "postgres"), closed
// when the test ends.
func Open(t testing.TB, engine string) *store.Store {
	t.Helper()
	dbURL, dir := Location(t, engine)
	s, err := store.Open(context.Background(), dbURL, dir)
	if err != nil {
		t.Fatalf("open %s store: %v", engine, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// StoreWithRuns stores events and their trigger runs in one transaction,
// as intake does.
func StoreWithRuns(tb testing.TB, s *store.Store, events []store.Event, runs []store.TriggerRun) {
	tb.Helper()
	ctx := context.Background()
	if err := s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.InsertEvents(ctx, events); err != nil {
			return err
		}
		return tx.InsertTriggerRuns(ctx, runs)
	}); err != nil {
		tb.Fatal(err)
	}
}

// Engines runs fn once per engine as parallel subtests.
func Engines(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, engine := range []string{store.SQLite, store.Postgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, engine)
		})
	}
}

// Name returns a unique name for test objects.
func Name(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%x", prefix, b)
}
