package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/plugboard/plugboard/internal/jobs"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// On PostgreSQL the intake and the settlements are written on connections
// of their own, not the pool's, and an operator can tell them apart in
// pg_stat_activity by their application_name.
func TestIntakeAndSettlementsWriteOnConnectionsOfTheirOwn(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	if _, err := jobs.New(ctx, jobs.Config{Store: s, Workers: river.NewWorkers()}); err != nil { // the queue's tables, which the intake writes
		t.Fatal(err)
	}
	now := time.Now()
	org, runs := pendingRuns(t, s, 20, now)
	for i, r := range runs {
		e := store.Event{ID: store.NewEventID(), OrgID: org.ID, WebhookID: r.WebhookID, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: now}
		inserted, _, err := s.InsertIntake(ctx, []store.Event{e}, nil, store.JobRow{Kind: "unused", Args: []byte(`{}`), Queue: "default", MaxAttempts: 1})
		if err != nil || len(inserted) != 1 || !inserted[0] {
			t.Fatalf("intake %d = %v, %v", i, inserted, err)
		}
		a := store.Attempt{Status: "succeeded", HTTPStatus: 200, StartedAt: now}
		if err := s.SettleRun(ctx, r.ID, a, store.RunSucceeded, time.Time{}); err != nil {
			t.Fatalf("settle %d: %v", i, err)
		}
		// Reads between the writes take the pool's connections in turn.
		if _, err := s.GetEvent(ctx, org.ID, e.ID); err != nil {
			t.Fatal(err)
		}
	}

	rows, err := s.DB().QueryContext(ctx, `SELECT application_name, query FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]int{}
	for rows.Next() {
		var name, query string
		if err := rows.Scan(&name, &query); err != nil {
			t.Fatal(err)
		}
		query = strings.TrimSpace(query)
		for prefix, want := range map[string]string{"WITH hooks AS": "plugboard intake", "WITH v AS": "plugboard settler"} {
			if !strings.HasPrefix(query, prefix) {
				continue
			}
			if name != want {
				t.Errorf("a connection named %q last wrote %.40q…; want only %q to", name, query, want)
			}
			seen[want]++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"plugboard intake", "plugboard settler"} {
		if seen[want] != 1 {
			t.Errorf("%d connections last ran the statements of %q; want its one connection", seen[want], want)
		}
	}
}
