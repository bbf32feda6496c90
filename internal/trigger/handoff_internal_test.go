package trigger

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func handedRuns(n int, body string) ([]store.TriggerRun, map[string]*store.Event) {
	var runs []store.TriggerRun
	events := map[string]*store.Event{}
	for i := range n {
		e := &store.Event{ID: fmt.Sprintf("evt_%03d", i), Body: []byte(body), Headers: `{}`}
		events[e.ID] = e
		runs = append(runs, store.TriggerRun{ID: fmt.Sprintf("run_%03d", i), EventID: e.ID, Status: store.RunPending})
	}
	return runs, events
}

func runIDs(runs []store.TriggerRun) []string {
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

// A run is taken once; what it does not hold is named to be read.
func TestHandoffGivesEachRunOnce(t *testing.T) {
	h := NewHandoff(100, 1<<20)
	runs, events := handedRuns(3, "{}")
	h.Put(runs, events)
	got, gotEvents, missing := h.Take([]string{"run_000", "run_002", "run_999"})
	if len(got) != 2 || got["run_002"].EventID != "evt_002" || string(gotEvents["evt_000"].Body) != "{}" || !slices.Equal(missing, []string{"run_999"}) {
		t.Fatalf("took %v, events %v, missing %v", got, gotEvents, missing)
	}
	if _, _, missing := h.Take([]string{"run_000", "run_001"}); !slices.Equal(missing, []string{"run_000"}) {
		t.Fatalf("second take: missing %v; want run_000 only, taken before", missing)
	}
	if h.Len() != 0 {
		t.Fatalf("%d runs still held", h.Len())
	}
	// A lone run's job is a batch of one, which takes it.
	one, oneEvent := handedRuns(1, "{}")
	h.Put(one, oneEvent)
	if got, _, missing := h.Take(runIDs(one)); len(got) != 1 || len(missing) != 0 {
		t.Fatalf("a lone run: took %v, missing %v", got, missing)
	}
	// Dropped runs are read from the store.
	h.Put(runs, events)
	h.Drop([]string{"run_001"})
	if _, _, missing := h.Take(runIDs(runs)); !slices.Equal(missing, []string{"run_001"}) {
		t.Fatalf("after a drop: missing %v", missing)
	}
	var none *Handoff
	none.Put(runs, events)
	none.Drop(runIDs(runs))
	if _, _, missing := none.Take(runIDs(runs)); len(missing) != 3 {
		t.Fatalf("no handoff: missing %v", missing)
	}
}

// While jobs fall behind, the oldest runs are pushed out to stay within
// the bounds; runs nobody here takes cannot make it grow.
func TestHandoffStaysWithinItsBounds(t *testing.T) {
	h := NewHandoff(10, 1<<20)
	runs, events := handedRuns(25, "{}")
	for i := 0; i < len(runs); i += 5 {
		h.Put(runs[i:i+5], events)
	}
	_, _, missing := h.Take(runIDs(runs))
	if len(missing) != 15 || missing[0] != "run_000" || missing[14] != "run_014" {
		t.Fatalf("by count: missing %v; want the 15 oldest", missing)
	}

	big := strings.Repeat("x", 1000)
	h = NewHandoff(1000, 10*(1000+2+256))
	runs, events = handedRuns(20, big)
	h.Put(runs, events)
	if _, _, missing := h.Take(runIDs(runs)); len(missing) != 10 || missing[9] != "run_009" {
		t.Fatalf("by bytes: missing %v; want the 10 oldest", missing)
	}

	// The first run of every batch goes to another node's job: the rest
	// are taken here. What is held, and the ids kept in order, stay bounded.
	h = NewHandoff(50, 1<<30)
	for batch := range 20_000 {
		runs, events := handedRuns(2, "{}")
		for i := range runs {
			runs[i].ID = fmt.Sprintf("run_%d_%d", batch, i)
		}
		h.Put(runs, events)
		h.Take([]string{runs[1].ID})
	}
	if h.Len() > 50 || len(h.order)-h.head > 2*50+2 || cap(h.order) > 4096 {
		t.Fatalf("held %d, order %d (cap %d)", h.Len(), len(h.order)-h.head, cap(h.order))
	}
}

// A batch job's first attempt works the runs this node handed it; a later
// attempt reads every run's row, which says what happened meanwhile, and
// leaves nothing behind.
func TestBatchJobsTakeFromTheHandoffOnlyOnTheirFirstAttempt(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		s := storetest.Open(t, engine)
		org, _, err := s.CreateOrg(ctx, store.Org{Name: "Acme", Plan: "growth"}, store.User{Email: "ada@example.com", Name: "Ada"}, "bootstrap", "pb_abc", "hash-ada")
		if err != nil {
			t.Fatal(err)
		}
		w, err := s.CreateWebhook(ctx, store.Webhook{ID: store.NewWebhookID(), OrgID: org.ID, Name: "Stripe", Source: "stripe", Secret: "sealed",
			Triggers: []store.Trigger{{ID: store.NewTriggerID(), Spec: []byte(`{"url":"https://example.com"}`)}}})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		var runs []store.TriggerRun
		events := map[string]*store.Event{}
		var stored []store.Event
		for i := range 3 {
			e := store.Event{ID: store.NewEventID(), OrgID: org.ID, WebhookID: w.ID, Headers: `{}`, Body: []byte(fmt.Sprintf(`{"n":%d}`, i)), ReceivedAt: now}
			stored = append(stored, e)
			e = e.AsStored()
			events[e.ID] = &e
			runs = append(runs, store.TriggerRun{ID: store.NewRunID(), OrgID: org.ID, WebhookID: w.ID, EventID: e.ID, TriggerID: w.Triggers[0].ID, CreatedAt: now}.AsInserted())
		}
		storetest.StoreWithRuns(t, s, stored, runs)
		ids := runIDs(runs)
		h := NewHandoff(100, 1<<20)
		b := &batchRunner{runner: NewRunner(RunnerConfig{Store: s, Handoff: h})}
		job := func(attempt int) *river.Job[BatchArgs] {
			return &river.Job[BatchArgs]{JobRow: &rivertype.JobRow{Attempt: attempt}, Args: BatchArgs{RunIDs: ids}}
		}

		// First attempt: the handed runs, and the one not handed read.
		h.Put(runs[:2], events)
		got, gotEvents, err := b.load(ctx, job(1))
		if err != nil || len(got) != 3 || len(gotEvents) != 3 || h.Len() != 0 {
			t.Fatalf("first attempt: %d runs, %d events, %v; %d left in the handoff", len(got), len(gotEvents), err, h.Len())
		}
		for _, r := range runs {
			if got[r.ID].Status != store.RunPending || string(gotEvents[r.EventID].Body) != string(events[r.EventID].Body) {
				t.Fatalf("first attempt: run %+v, event %q", got[r.ID], gotEvents[r.EventID].Body)
			}
		}

		// The first attempt settled a run, then failed. The second attempt
		// must see that, though this node still holds a pending copy.
		if err := s.SettleRun(ctx, runs[0].ID, store.Attempt{Status: "succeeded", HTTPStatus: 200, StartedAt: now}, store.RunSucceeded, time.Time{}); err != nil {
			t.Fatal(err)
		}
		h.Put(runs, events)
		got, _, err = b.load(ctx, job(2))
		if err != nil || got[runs[0].ID].Status != store.RunSucceeded || got[runs[0].ID].Attempts != 1 {
			t.Fatalf("second attempt: run %+v, %v; want the settled row", got[runs[0].ID], err)
		}
		if h.Len() != 0 {
			t.Fatalf("second attempt left %d runs in the handoff", h.Len())
		}
	})
}
