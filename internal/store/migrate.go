package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// PostgreSQL advisory lock keys the store takes; the job queue's migration
// uses its own.
const (
	lockMigrate  = 7429001
	lockFirstOrg = 7429003
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrate applies every migration not yet recorded, each in its own
// transaction. Files are named NNNN_name.sql; a file may hold sections
// "-- sqlite" and "-- postgres" for the rare statement that differs.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	if s.engine == Postgres {
		// Several nodes may start at once; the lock makes one of them
		// migrate. A session lock belongs to one connection, so it is taken
		// and released on a connection pinned for the purpose, not on
		// whichever connection of the pool comes next.
		conn, err := s.w.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockMigrate); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockMigrate)
	}
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	if err := checkVersions(names); err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		version, _ := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		var n int
		if err := s.w.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return err
		}
		sqlText := forEngine(string(body), s.engine)
		err = s.InTx(ctx, func(tx *Tx) error {
			for _, stmt := range splitStatements(sqlText) {
				if _, err := tx.tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("%w\n%s", err, stmt)
				}
			}
			_, err := tx.tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`), version, name, now())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

// checkVersions refuses migration file names without a version number, and
// two files with the same number: a version is applied once, by number, so
// the second of two branches that each took the next free number would be
// skipped silently on databases that have the first.
func checkVersions(names []string) error {
	seen := map[int]string{}
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: bad migration file name %s", name)
		}
		if first, dup := seen[version]; dup {
			return fmt.Errorf("migrate: %s and %s share the version %d; renumber the newer one", first, name, version)
		}
		seen[version] = name
	}
	return nil
}

// forEngine keeps the common text and the section for engine.
func forEngine(text, engine string) string {
	var b strings.Builder
	keep := true
	for _, line := range strings.Split(text, "\n") {
		switch strings.TrimSpace(line) {
		case "-- sqlite":
			keep = engine == SQLite
			continue
		case "-- postgres":
			keep = engine == Postgres
			continue
		case "-- common":
			keep = true
			continue
		}
		if keep {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func splitStatements(text string) []string {
	var out []string
	for _, stmt := range strings.Split(text, ";\n") {
		lines := []string{}
		for _, l := range strings.Split(stmt, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			out = append(out, strings.TrimSuffix(strings.Join(lines, "\n"), ";"))
		}
	}
	return out
}
