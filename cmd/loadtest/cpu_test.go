package main

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store/storetest"
)

// PostgreSQL's CPU time only grows: a backend that ends during a row (a
// connection closed) keeps counting what it used, instead of taking it
// out of the row's figure.
func TestPostgreSQLsCPUKeepsWhatAnEndedBackendUsed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, storetest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var pid int
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	before, startedWith := postgresCPU(), cpuTime(pid)
	if _, err := conn.Exec(ctx, `SELECT count(*) FROM generate_series(1, 4000000)`); err != nil {
		t.Fatal(err)
	}
	used := cpuTime(pid) - startedWith
	if used < 5*clockTick {
		t.Fatalf("the backend used %s on the query; too little to tell", used)
	}
	if err := conn.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Gone from /proc once the server has reaped it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %d still there after its connection closed", pid)
		}
	}
	if got := postgresCPU() - before; got < used {
		t.Fatalf("PostgreSQL's CPU grew by %s while a backend that used %s ended; want at least that", got, used)
	}
}
