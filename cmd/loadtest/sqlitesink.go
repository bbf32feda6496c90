package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"
)

// groupSink is a yardstick for durable ingest: a bare handler that stores
// each 1 KB event before it answers 200, committing the events that arrive
// together at once with write, one batch after another. Plugboard's ingest
// does this and more (the signature, the guards, dedup by event id,
// triggers); a sink shows what the storage alone allows on the machine.
type groupSink struct {
	write   func([]pendingEvent) error
	pending chan pendingEvent
}

type pendingEvent struct {
	id   string
	body []byte
	done chan error
}

func newGroupSink(write func([]pendingEvent) error) *groupSink {
	s := &groupSink{write: write, pending: make(chan pendingEvent, 4096)}
	go s.commit()
	return s
}

// commit writes whatever is waiting as one batch, again and again.
func (s *groupSink) commit() {
	const most = 500
	batch := make([]pendingEvent, 0, most)
	for first := range s.pending {
		batch = append(batch[:0], first)
	more:
		for len(batch) < most {
			select {
			case ev := <-s.pending:
				batch = append(batch, ev)
			default:
				break more
			}
		}
		err := s.write(batch)
		for _, ev := range batch {
			ev.done <- err
		}
	}
}

func (s *groupSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ev struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" {
		http.Error(w, "want a JSON event with an id", http.StatusBadRequest)
		return
	}
	done := make(chan error, 1)
	s.pending <- pendingEvent{id: ev.ID, body: body, done: done}
	if err := <-done; err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// sqliteSink is the yardstick for durable ingest on SQLite: a group sink
// with the durability Plugboard's store has (WAL, synchronous=FULL), each
// batch one transaction.
type sqliteSink struct {
	*groupSink
	db *sql.DB
}

func newSQLiteSink(dir string) (*sqliteSink, error) {
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "sink.db")+"?"+pragmas)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE events (id TEXT PRIMARY KEY, body BLOB NOT NULL, received_at INTEGER NOT NULL)`); err != nil {
		return nil, err
	}
	s := &sqliteSink{db: db}
	s.groupSink = newGroupSink(s.write)
	return s, nil
}

func (s *sqliteSink) write(batch []pendingEvent) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(`INSERT INTO events (id, body, received_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return err
	}
	now := time.Now().UnixNano()
	for _, ev := range batch {
		if _, err := stmt.Exec(ev.id, ev.body, now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// startSQLiteSink opens the sink in a fresh folder, or ends the fixtures
// process saying why it could not.
func startSQLiteSink() (*sqliteSink, func()) {
	dir, err := os.MkdirTemp("", "plugboard-load-sink-")
	if err == nil {
		var s *sqliteSink
		if s, err = newSQLiteSink(dir); err == nil {
			return s, func() { s.db.Close(); os.RemoveAll(dir) }
		}
	}
	fmt.Fprintln(os.Stderr, "fixtures: the SQLite sink:", err)
	os.Exit(1)
	return nil, nil
}
