package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// TestADatabaseFromANewerPlugboardIsRefused: after a rollback to an older
// binary, the store refuses at start, naming what it does not know, instead
// of serving and failing on a table whose shape it does not know.
func TestADatabaseFromANewerPlugboardIsRefused(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		dbURL, dir := storetest.Location(t, engine)
		s, err := store.Open(ctx, dbURL, dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_a_newer_plugboard.sql', 0)`); err != nil {
			t.Fatal(err)
		}
		s.Close()

		_, err = store.Open(ctx, dbURL, dir)
		if !errors.Is(err, store.ErrNewerDatabase) || !strings.Contains(err.Error(), "9999_from_a_newer_plugboard.sql") || !strings.Contains(err.Error(), "run that version") {
			t.Fatalf("opening a database a newer Plugboard migrated: %v; want a refusal that names the migration and says what to do", err)
		}
	})
}

// TestASQLiteFolderNameIsAPathNotAURI: SQLite reads "file:" names as URIs,
// where '#' and '?' end the path and "%41" means "A". A data folder named
// with them gets its database inside it, and nowhere else.
func TestASQLiteFolderNameIsAPathNotAURI(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "data#2", "plug?board%41")
	s, err := store.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, "plugboard.db")); err != nil {
		t.Fatalf("the database is not in the data folder: %v", err)
	}
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		if e.Name() != "data#2" {
			t.Errorf("a file %q appeared beside the data folder", e.Name())
		}
	}
	entries, _ = os.ReadDir(filepath.Join(parent, "data#2"))
	for _, e := range entries {
		if e.Name() != "plug?board%41" {
			t.Errorf("a file %q appeared beside the data folder", e.Name())
		}
	}
}

// TestTheDatabaseFilesAreTheOwnersAlone: the SQLite files hold webhook
// payloads, call logs and sealed credentials. A new database and its log
// are readable by their owner only, and a database that was open to others
// (a folder made by a package, a file copied in) is closed to them when a
// server opens it.
func TestTheDatabaseFilesAreTheOwnersAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	files := []string{"plugboard.db", "plugboard.db-wal", "plugboard.db-shm"}
	open := func(t *testing.T, dir string) {
		t.Helper()
		s, err := store.Open(ctx, "", dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if _, err := s.DB().ExecContext(ctx, `CREATE TABLE IF NOT EXISTS a_write (x)`); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T, dir string) {
		t.Helper()
		for _, name := range files {
			info, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("%s is %v, want -rw------- (its owner's alone)", name, info.Mode().Perm())
			}
		}
	}
	t.Run("a new database", func(t *testing.T) {
		dir := t.TempDir()
		open(t, dir)
		check(t, dir)
	})
	t.Run("a database open to others", func(t *testing.T) {
		dir := t.TempDir()
		open(t, dir)
		for _, name := range files {
			if err := os.Chmod(filepath.Join(dir, name), 0o666); err != nil {
				t.Fatal(err)
			}
		}
		open(t, dir) // a second server on the same database
		check(t, dir)
	})
}
