package jobs_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// A job OwnJob resolves, written by the store beside an intake batch's
// events and runs, is the row River writes for the same job, except for
// its arguments; its insert wakes the node's workers as River's does; a
// batch whose events are all repeats writes none; and the node works it.
func TestAnOwnJobIsTheRowRiverWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storetest.Open(t, store.Postgres)
	worked := make(chan string, 10)
	q := node(t, s, "a", worked, 0)

	hook := newHook(t, s, 0)
	now := time.Now()
	event := store.Event{ID: store.EventIDAt(now), OrgID: hook.OrgID, WebhookID: hook.ID, ProviderEventID: "d-1", Headers: `{}`, Body: []byte(`{}`), ReceivedAt: now}
	run := store.TriggerRun{ID: store.NewRunID(), OrgID: hook.OrgID, WebhookID: hook.ID, EventID: event.ID, TriggerID: "trg_a", CreatedAt: now}

	// River's workers listen on the schema's insert channel.
	conn, err := s.PgxPool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `LISTEN "`+schema+`.river_insert"`); err != nil {
		t.Fatal(err)
	}

	job, ok, err := q.OwnJob([]river.InsertManyParams{{Args: markArgs{N: 2}}})
	if err != nil || !ok {
		t.Fatalf("OwnJob = %v, %v on PostgreSQL; want a row", ok, err)
	}
	inserted, _, err := s.InsertIntake(ctx, []store.Event{event}, []store.TriggerRun{run}, job)
	if err != nil || len(inserted) != 1 || !inserted[0] {
		t.Fatalf("InsertIntake = %v, %v", inserted, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := conn.Conn().WaitForNotification(wctx)
	if err != nil {
		t.Fatalf("no insert notification: %v", err)
	}
	var payload struct{ Queue string }
	if err := json.Unmarshal([]byte(n.Payload), &payload); err != nil || payload.Queue != job.Queue {
		t.Errorf("notified %q on %s, want the queue %s", n.Payload, n.Channel, job.Queue)
	}

	// The same delivery again: the event is a repeat, and no job goes in.
	repeat := event
	repeat.ID = store.EventIDAt(now)
	again := run
	again.ID, again.EventID = store.NewRunID(), repeat.ID
	job, _, _ = q.OwnJob([]river.InsertManyParams{{Args: markArgs{N: 3}}})
	if inserted, _, err := s.InsertIntake(ctx, []store.Event{repeat}, []store.TriggerRun{again}, job); err != nil || inserted[0] {
		t.Fatalf("InsertIntake of a repeat = %v, %v", inserted, err)
	}

	insertOwn(t, s, q, 1) // River's own insert, for comparison
	rows, err := s.DB().QueryContext(ctx, `SELECT args, to_jsonb(j) - '{id,args,created_at,scheduled_at}'::text[], created_at <= now() AND scheduled_at <= now()
		FROM river_job j WHERE kind = $1 ORDER BY id`, markArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var args, rest []string
	for rows.Next() {
		var a, r string
		var due bool
		if err := rows.Scan(&a, &r, &due); err != nil {
			t.Fatal(err)
		}
		if !due {
			t.Errorf("job %s is not due now", a)
		}
		args, rest = append(args, a), append(rest, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(args) != 2 || args[0] != `{"N": 2}` || args[1] != `{"N": 1}` {
		t.Fatalf("jobs with arguments %q; want the intake's {\"N\": 2}, then River's {\"N\": 1}", args)
	}
	if rest[0] != rest[1] {
		t.Errorf("the intake's job row\n %s\nRiver's\n %s", rest[0], rest[1])
	}

	start(t, q)
	workedBy(t, worked, 2, "a")
}
