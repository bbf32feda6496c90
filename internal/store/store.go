package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinels every engine maps its driver errors to.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Engine names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Store is Plugboard's state on SQLite or PostgreSQL. Both engines run the
// same SQL through database/sql; the few dialect differences (placeholders,
// row locks) are handled here, so every query is written once.
type Store struct {
	engine string
	w      *sql.DB // writes and transactions; on SQLite a single connection
	r      *sql.DB // reads; on PostgreSQL the same pool as w
	pgPool *pgxpool.Pool

	rebound   sync.Map // query text → engine-specific text
	stmts     sync.Map // query text → *sql.Stmt on the read pool ("write\x00" + text: write pool)
	preparing sync.Map // write statements being prepared in the background

	gen   atomic.Uint64 // see cache.go
	memos memos

	group       *batcher[func(*Tx) error] // SQLite: writes that share commits; see group.go
	settles     *batcher[settlement]      // PostgreSQL: settlements that share a statement; see settle_pg.go
	settleDB    *sql.DB                   // PostgreSQL: the settler's connection; see settle_pg.go
	settlePool  *pgxpool.Pool             // PostgreSQL: the pool behind settleDB
	intakeDB    *sql.DB                   // PostgreSQL: the intake's connections; see intake.go
	intakePool  *pgxpool.Pool             // PostgreSQL: the pool behind intakeDB
	checkpoints *checkpointer             // SQLite: copies the write-ahead log into the database file; see checkpoint.go
	keys        *eventKeys                // SQLite: the provider event ids not yet folded; see eventkeys.go

	notes     notifier    // see notify.go
	listening atomic.Bool // PostgreSQL: Watch hears other nodes' changes

	lock *dataLock // SQLite: held shared while open; see Restore
}

// Open connects to databaseURL (empty = SQLite in dataDir) and applies the
// migrations.
func Open(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	var s *Store
	var err error
	switch path, isSQLite := SQLitePath(databaseURL, dataDir); {
	case isSQLite:
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create data dir %s: %w", filepath.Dir(path), err)
		}
		s, err = openSQLite(path)
	case strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://"):
		s, err = openPostgres(ctx, databaseURL)
	default:
		return nil, fmt.Errorf("PLUGBOARD_DATABASE_URL must start with postgres:// (or be empty for SQLite), got %q", redactURL(databaseURL))
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.engine == SQLite {
		if err := s.startEventKeys(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// SQLitePath is the SQLite database file that databaseURL and dataDir
// name, and false when databaseURL names another engine.
func SQLitePath(databaseURL, dataDir string) (string, bool) {
	if databaseURL != "" && !strings.HasPrefix(databaseURL, "sqlite:") && !strings.HasPrefix(databaseURL, "file:") {
		return "", false
	}
	path := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "file:")
	if path == "" {
		path = filepath.Join(dataDir, "plugboard.db")
	}
	return path, true
}

func openSQLite(path string) (*Store, error) {
	lock, err := lockData(path, false)
	if errors.Is(err, errLocked) {
		return nil, fmt.Errorf("open sqlite %s: a restore is replacing this database; start the server when it has finished", path)
	} else if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := ownerOnly(path); err != nil {
		lock.release()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	s, err := openSQLiteFile(path)
	if err != nil {
		lock.release()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

// ownerOnly makes the database file, and its log and shared memory if they
// exist, readable and writable by their owner only: they hold webhook
// payloads, call logs and sealed credentials, and a data folder made before
// Plugboard (or by a package) may be open to other users. SQLite gives the
// log and shared memory it creates later the mode of the database file.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		// A file of another user's that this one may use is the
		// operator's arrangement: it is left as it is.
		if info.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, info.Mode().Perm()&0o700); err != nil && !errors.Is(err, os.ErrPermission) {
				return err
			}
		}
	}
	return nil
}

// sqliteDSN names the SQLite file at path, with the driver parameters in
// query. The driver hands "file:" names to SQLite as URIs, which end a path
// at '?' or '#' and decode "%HH": unescaped, a data folder named "data#2"
// would put the database in a file named "data" beside it.
func sqliteDSN(path, query string) string {
	return "file:" + uriPathEscaper.Replace(path) + "?" + query
}

var uriPathEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

func openSQLiteFile(path string) (*Store, error) {
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=temp_store(MEMORY)"
	w := sql.OpenDB(cachingConnector{dsn: sqliteDSN(path, pragmas+fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", writerCheckpointPages)+"&_txlock=immediate"), drv: &sqlite.Driver{}})
	// SQLite allows one writer; a single connection serializes writes in
	// Go instead of in busy-wait loops, and is what River's driver needs.
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	cp, err := startCheckpointer(path)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	s := &Store{engine: SQLite, w: w, r: r, checkpoints: cp}
	s.startGroupCommits()
	return s, nil
}

// directConns is how many of the pool's connections database/sql leaves
// for direct use; see openPostgres.
const directConns = 6

func openPostgres(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse PLUGBOARD_DATABASE_URL: %w", err)
	}
	if cfg.MaxConns < 24 {
		cfg.MaxConns = 24
	}
	withPQArrays(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect postgres %s: %w", redactURL(url), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect postgres %s: %w", redactURL(url), err)
	}
	db := stdlib.OpenDBFromPool(pool)
	// database/sql keeps 2 idle connections by default: under load it
	// handed the others back to the pool after every query, and their
	// prepared statements with them. It may keep all of its own, but not
	// the few the pool must always have for what uses it directly: the
	// LISTEN connections (the store's own, which hears every other node's
	// changes, and the job queue's) and NOTIFY, which a caller holding a row lock may be waiting on.
	own := int(cfg.MaxConns) - directConns
	db.SetMaxOpenConns(own)
	db.SetMaxIdleConns(own)
	s := &Store{engine: Postgres, w: db, r: db, pgPool: pool}
	if err := s.startIntake(ctx); err != nil {
		db.Close()
		pool.Close()
		return nil, err
	}
	if err := s.startSettler(ctx); err != nil {
		s.intakeDB.Close()
		s.intakePool.Close()
		db.Close()
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Engine reports "sqlite" or "postgres".
func (s *Store) Engine() string { return s.engine }

// DB is the write pool, for components (the job queue) that share
// transactions with the store.
func (s *Store) DB() *sql.DB { return s.w }

// PgxPool is the PostgreSQL pool, or nil on SQLite.
func (s *Store) PgxPool() *pgxpool.Pool { return s.pgPool }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.r.PingContext(ctx) }

// Close releases the connections.
func (s *Store) Close() error {
	s.stopEventKeys()
	if s.group != nil {
		s.group.stop()
	}
	if s.settles != nil {
		s.settles.stop()
	}
	var err error
	if s.checkpoints != nil {
		err = s.checkpoints.stop()
	}
	s.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	err = errors.Join(err, s.w.Close())
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	if s.settleDB != nil {
		err = errors.Join(err, s.settleDB.Close())
		s.settlePool.Close()
	}
	if s.intakeDB != nil {
		err = errors.Join(err, s.intakeDB.Close())
		s.intakePool.Close()
	}
	if s.pgPool != nil {
		s.pgPool.Close()
	}
	s.lock.release()
	return err
}

// q turns a query written with ? placeholders into the engine's form.
func (s *Store) q(query string) string {
	if s.engine != Postgres {
		return query
	}
	if v, ok := s.rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(query[i])
	}
	out := b.String()
	s.rebound.Store(query, out)
	return out
}

// readStmt returns a prepared statement on the read pool for query (with
// ? placeholders). Preparing is most of the cost of a small SQLite read, so
// hot reads keep their statements; database/sql re-prepares them per
// connection as needed.
func (s *Store) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.r.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// exec runs a write of the transaction through a statement prepared once
// on the write pool (hot writes: webhook events, trigger runs, call logs).
// A statement not prepared yet cannot be prepared here: on SQLite the
// transaction holds the pool's only connection. The first use runs the
// plain query and prepares the statement in the background, once the
// connection is free again.
func (t *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.s.engine == Postgres {
		// pgx prepares and keeps statements per connection by itself.
		return t.tx.ExecContext(ctx, t.s.q(query), args...)
	}
	if st, ok := t.s.stmts.Load("write\x00" + query); ok {
		return t.tx.StmtContext(ctx, st.(*sql.Stmt)).ExecContext(ctx, args...)
	}
	if _, pending := t.s.preparing.LoadOrStore(query, true); !pending {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, _ = t.s.writeStmt(ctx, query)
		}()
	}
	return t.tx.ExecContext(ctx, t.s.q(query), args...)
}

// readRow runs a single-row read through a cached statement.
func (s *Store) readRow(ctx context.Context, query string, args ...any) rowScanner {
	if s.engine == Postgres {
		// pgx prepares and keeps statements per connection by itself; a
		// database/sql statement would prepare and deallocate around it.
		return s.r.QueryRowContext(ctx, s.q(query), args...)
	}
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

type rowScanner = interface{ Scan(...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a store transaction; its methods mirror the Store's writes.
type Tx struct {
	s     *Store
	tx    *sql.Tx
	dirty bool // wrote memoized tables; see touch
}

// SQL exposes the transaction for the job queue's transactional inserts.
func (t *Tx) SQL() *sql.Tx { return t.tx }

// InTx runs fn in a transaction, committing when it returns nil.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", mapErr(err))
	}
	t := &Tx{s: s, tx: tx}
	if err := fn(t); err != nil {
		_ = tx.Rollback()
		return err
	}
	err = tx.Commit()
	if t.dirty {
		s.bump()
	}
	if err != nil {
		return fmt.Errorf("commit: %w", mapErr(err))
	}
	return nil
}

// inTx runs one write in a transaction of its own and returns its result:
// the Store's write methods are the Tx's, for callers that change one thing
// and need no audit entry beside it.
func inTx[T any](ctx context.Context, s *Store, fn func(*Tx) (T, error)) (T, error) {
	var out T
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

// mapErr turns driver errors into the store's sentinels.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w: %s", ErrConflict, pgErr.ConstraintName)
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s", ErrConflict, sqErr.Error())
		}
	}
	return err
}

func now() int64 { return time.Now().UnixMilli() }

func ms(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.UnixMilli(t).UTC()
}

func nullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return ms(v.Int64)
}

func toNullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func redactURL(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			return u[:j+3] + "…@" + u[i+1:]
		}
	}
	return u
}

// queryAll runs a query and scans every row with scan. It returns an empty
// (not nil) slice when there are no rows, so lists encode as [].
func queryAll[T any](ctx context.Context, q querier, query string, scan func(rowScanner) (T, error), args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
