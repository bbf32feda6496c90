package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// Runs that finish together settle together (one statement on
// PostgreSQL, one commit on SQLite), and each is recorded as if alone: its
// own attempt number, status, retry time and error. A run that is gone
// (in the second round) fails alone, and the others around it still
// settle.
func TestRunsSettledTogetherAreEachRecorded(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		const n = 60
		now := time.Now()
		org, runs := pendingRuns(t, s, n, now)
		retryAt := now.Add(time.Minute).Truncate(time.Millisecond)
		settle := func(i, round int) error {
			a := store.Attempt{Status: "failed", HTTPStatus: 500 + i, DurationMS: float64(i), Error: fmt.Sprintf("round %d run %d", round, i), StartedAt: now}
			status, next := store.RunRetrying, retryAt
			if i%3 == 0 {
				a.Status, a.HTTPStatus, a.Error, status, next = "succeeded", 200, "", store.RunSucceeded, time.Time{}
			}
			return s.SettleRun(ctx, runs[i].ID, a, status, next)
		}
		for round := 1; round <= 2; round++ {
			var wg sync.WaitGroup
			errs := make([]error, n)
			var gone error
			for i := range n {
				wg.Go(func() { errs[i] = settle(i, round) })
				if round == 2 && i == n/2 {
					wg.Go(func() {
						gone = s.SettleRun(ctx, store.NewRunID(), store.Attempt{Status: "failed", StartedAt: now}, store.RunDead, time.Time{})
					})
				}
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d: run %d: %v", round, i, err)
				}
			}
			if round == 2 && gone == nil {
				t.Fatalf("round %d: a run that does not exist settled: %v", round, gone)
			}
		}
		for i, want := range runs {
			e, err := s.GetEvent(ctx, org.ID, want.EventID)
			if err != nil || len(e.Runs) != 1 {
				t.Fatalf("run %d: %+v, %v", i, e.Runs, err)
			}
			r := e.Runs[0]
			wantStatus, wantNext, wantHTTP, wantErr := store.RunRetrying, retryAt, 500+i, fmt.Sprintf("round 2 run %d", i)
			if i%3 == 0 {
				wantStatus, wantNext, wantHTTP, wantErr = store.RunSucceeded, time.Time{}, 200, ""
			}
			if r.Status != wantStatus || r.Attempts != 2 || !r.NextAt.Equal(wantNext) || r.LastStatus != wantHTTP || r.LastError != wantErr {
				t.Errorf("run %d = %+v; want %s after 2 attempts, next %v, last %d %q", i, r, wantStatus, wantNext, wantHTTP, wantErr)
			}
			if len(r.History) != 2 || r.History[0].Number != 1 || r.History[1].Number != 2 || r.History[1].HTTPStatus != wantHTTP ||
				r.History[0].Error != fmt.Sprintf("round 1 run %d", i) && i%3 != 0 {
				t.Errorf("run %d attempts = %+v", i, r.History)
			}
		}
	})
}

// On PostgreSQL the settle statement is planned once on the settler's
// connection, however few runs a batch holds: with the planner's default
// choice every batch under ten runs was planned again (half a
// millisecond of the database's CPU each), and a batch of one, as here,
// is the smallest.
func TestSettlingFewRunsAtATimeDoesNotPlanEachBatch(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	const n = 12
	now := time.Now()
	_, runs := pendingRuns(t, s, n, now)
	for _, r := range runs {
		if err := s.SettleRun(ctx, r.ID, store.Attempt{Status: "succeeded", HTTPStatus: 200, StartedAt: now}, store.RunSucceeded, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	var generic, custom int
	err := s.SettleDB().QueryRowContext(ctx, `SELECT COALESCE(SUM(generic_plans), 0), COALESCE(SUM(custom_plans), 0)
		FROM pg_prepared_statements WHERE statement LIKE '%INSERT INTO trigger_attempts%'`).Scan(&generic, &custom)
	if err != nil {
		t.Fatal(err)
	}
	if generic < n || custom != 0 {
		t.Fatalf("the settle statement ran %d times with a kept plan and %d times planned again; want at least %d and 0", generic, custom, n)
	}
}

// The settle statement's kept plan is made for the tables as they were
// at the first settlement, a new installation's nearly empty ones, and
// is used until the next ANALYZE: it must reach each run through its
// index, not read the whole table, which a plan made for a few rows
// prefers (a run of 70,000 events took a second a statement where
// autovacuum was off).
func TestTheSettlePlanKeptFromASmallTableUsesItsIndexes(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	now := time.Now()
	_, runs := pendingRuns(t, s, 2, now)
	if err := s.SettleRun(ctx, runs[0].ID, store.Attempt{Status: "succeeded", HTTPStatus: 200, StartedAt: now}, store.RunSucceeded, time.Time{}); err != nil {
		t.Fatal(err)
	}
	db := s.SettleDB()
	var name string
	err := db.QueryRowContext(ctx, `SELECT name FROM pg_prepared_statements
		WHERE statement LIKE '%INSERT INTO trigger_attempts%' AND statement NOT LIKE '%pg_prepared_statements%'`).Scan(&name)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `EXPLAIN (COSTS OFF) EXECUTE `+name+
		`('{`+runs[1].ID+`}', '{succeeded}', '{200}', '{1}', '{""}', '{""}', '{0}', '{succeeded}', '{0}', 0)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, "Seq Scan") || !strings.Contains(text, "trigger_runs_pkey") {
		t.Fatalf("the kept plan reads a whole table instead of reaching each run by its index:\n%s", text)
	}
}

// pendingRuns stores n events of a new organization's webhook, each with
// a pending run of its one trigger.
func pendingRuns(t *testing.T, s *store.Store, n int, now time.Time) (store.Org, []store.TriggerRun) {
	t.Helper()
	org, _ := newOrg(t, s, "settle@example.com")
	trigger := store.NewTriggerID()
	w, err := s.CreateWebhook(context.Background(), store.Webhook{ID: store.NewWebhookID(), OrgID: org.ID, Name: "Stripe", Source: "stripe", Secret: "sealed",
		Triggers: []store.Trigger{{ID: trigger, Spec: []byte(`{"url":"https://example.com"}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	var events []store.Event
	var runs []store.TriggerRun
	for range n {
		e := store.Event{ID: store.NewEventID(), OrgID: org.ID, WebhookID: w.ID, Headers: `{}`, Body: []byte(`{}`), ReceivedAt: now}
		events = append(events, e)
		runs = append(runs, store.TriggerRun{ID: store.NewRunID(), OrgID: org.ID, WebhookID: w.ID, EventID: e.ID, TriggerID: trigger, CreatedAt: now})
	}
	storetest.StoreWithRuns(t, s, events, runs)
	return org, runs
}
