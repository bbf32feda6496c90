package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/version"
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
	names, err := migrationNames()
	if err != nil {
		return err
	}
	if err := refuseNewer(ctx, s.w, names); err != nil {
		return fmt.Errorf("%w; run that version or a later one, or restore a backup made before it", err)
	}
	for _, name := range names {
		v, _ := migrationVersion(name)
		var n int
		if err := s.w.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), v).Scan(&n); err != nil {
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
			_, err := tx.tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`), v, name, now())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

// migrationNames lists the embedded migrations in the order they apply.
func migrationNames() ([]string, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	sort.Strings(names)
	return names, checkVersions(names)
}

// migrationVersion is the number a migration file's name starts with
// (0016 in 0016_retention.sql). migrationNames has checked every name.
func migrationVersion(name string) (int, error) {
	return strconv.Atoi(strings.SplitN(name, "_", 2)[0])
}

// ErrNewerDatabase is returned when a database records migrations this
// binary does not have: a newer Plugboard has used it, and this one would
// misread tables it does not know the shape of.
var ErrNewerDatabase = errors.New("the database was migrated by a newer Plugboard")

// refuseNewer fails with ErrNewerDatabase when db records a migration
// that is not among names, the binary's own. Older binaries must not run
// on a newer schema: a column they do not fill, or a table they no longer
// know, would fail requests one by one instead of once, at start.
func refuseNewer(ctx context.Context, db *sql.DB, names []string) error {
	known := make(map[int]bool, len(names))
	for _, name := range names {
		v, _ := migrationVersion(name)
		known[v] = true
	}
	rows, err := db.QueryContext(ctx, `SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		return fmt.Errorf("migrate: read the applied migrations: %w", err)
	}
	defer rows.Close()
	var unknown []string
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return fmt.Errorf("migrate: read the applied migrations: %w", err)
		}
		if !known[v] {
			unknown = append(unknown, name)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: read the applied migrations: %w", err)
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%w: it records %s, which this binary (Plugboard %s) does not have", ErrNewerDatabase, strings.Join(unknown, ", "), version.String)
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
		v, err := migrationVersion(name)
		if err != nil {
			return fmt.Errorf("migrate: bad migration file name %s", name)
		}
		if first, dup := seen[v]; dup {
			return fmt.Errorf("migrate: %s and %s share the version %d; renumber the newer one", first, name, v)
		}
		seen[v] = name
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
