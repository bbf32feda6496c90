package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgSink is the yardstick for durable ingest on PostgreSQL: a group sink
// on the run's database, with PostgreSQL's default durability, each batch
// one statement. It runs in processes of its own (this binary with
// -pg-sink), and -bare-sinks splits the row's clients between several, as
// -nodes splits Plugboard's: what splitting the same events between
// processes costs a group commit that does nothing else.
type pgSink struct {
	*groupSink
	pool *pgxpool.Pool
}

// pgSinkTable is made once by the load tool before the sinks start.
const pgSinkTable = `CREATE TABLE load_sink_events (id text PRIMARY KEY, body bytea NOT NULL, received_at bigint NOT NULL)`

func newPGSink(ctx context.Context, dbURL string) (*pgSink, error) {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s := &pgSink{pool: pool}
	s.groupSink = newGroupSink(s.write)
	return s, nil
}

func (s *pgSink) write(batch []pendingEvent) error {
	ids, bodies, at := make([]string, len(batch)), make([][]byte, len(batch)), make([]int64, len(batch))
	now := time.Now().UnixNano()
	for i, ev := range batch {
		ids[i], bodies[i], at[i] = ev.id, ev.body, now
	}
	_, err := s.pool.Exec(context.Background(), `INSERT INTO load_sink_events (id, body, received_at)
		SELECT * FROM unnest($1::text[], $2::bytea[], $3::bigint[]) ON CONFLICT (id) DO NOTHING`, ids, bodies, at)
	return err
}

// servePGSink serves one PostgreSQL sink on the database at dbURL, whose
// table the load tool has made, and prints its URL on its first line.
func servePGSink(dbURL string) {
	s, err := newPGSink(context.Background(), dbURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "PostgreSQL sink:", err)
		os.Exit(1)
	}
	defer s.pool.Close()
	ln := listen()
	go serve(ln, s)
	fmt.Println("http://" + ln.Addr().String())
	// The parent closes stdin when it is done; then this process ends.
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startPGSinks makes the sinks' table in the run's database and starts
// -bare-sinks sinks on it, each in a process of its own.
func (e *env) startPGSinks(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, e.dbURL)
	if err != nil {
		return fmt.Errorf("the PostgreSQL sink's table: %w", err)
	}
	_, err = conn.Exec(ctx, pgSinkTable)
	conn.Close(ctx)
	if err != nil {
		return fmt.Errorf("the PostgreSQL sink's table: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if e.pgSinks, e.pgSinkPIDs, err = e.startServers(ctx, self, e.o.bareSinks, "-pg-sink", e.dbURL); err != nil {
		return fmt.Errorf("start the PostgreSQL sink: %w", err)
	}
	return nil
}

// pgSinkURL is the sink that client i of the pg_sink row posts to.
func (e *env) pgSinkURL(i int) string { return e.pgSinks[i%len(e.pgSinks)] }
