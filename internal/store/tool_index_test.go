package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func TestToolIndex(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, owner := newOrg(t, s, "index@example.com")
		a, err := s.CreateAgent(ctx, store.Agent{OrgID: org.ID, Name: "searcher", KeyPrefix: "pba_idx", CreatedBy: owner.ID, ToolMode: store.ToolModeSearch, ToolSearchThreshold: 7}, "hash-index")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.CreateAgent(ctx, store.Agent{OrgID: org.ID, Name: "other", KeyPrefix: "pba_oth", CreatedBy: owner.ID}, "hash-other")
		if err != nil {
			t.Fatal(err)
		}

		t.Run("the tool mode is kept, auto by default", func(t *testing.T) {
			got, err := s.GetAgent(ctx, org.ID, a.ID)
			if err != nil || got.ToolMode != store.ToolModeSearch || got.ToolSearchThreshold != 7 {
				t.Fatalf("agent = %+v, %v", got, err)
			}
			got.ToolMode, got.ToolSearchThreshold = store.ToolModeAll, 0
			if got, err = s.UpdateAgent(ctx, got); err != nil || got.ToolMode != store.ToolModeAll || got.ToolSearchThreshold != 0 {
				t.Fatalf("updated = %+v, %v", got, err)
			}
			if got, err := s.GetAgent(ctx, org.ID, b.ID); err != nil || got.ToolMode != store.ToolModeAuto {
				t.Fatalf("default = %+v, %v", got, err)
			}
		})

		put := []store.ToolIndexEntry{
			{Name: "github__issues_create", Revision: "r1", Heading: "github issues create Create an issue", Description: "Any user with pull access to a repository can create an issue.", Params: "owner repo title body labels POST repos owner repo issues"},
			{Name: "github__pulls_create", Revision: "r1", Heading: "github pulls create Create a pull request", Description: "Draft pull requests are available in public repositories.", Params: "owner repo head base title POST repos owner repo pulls"},
			{Name: "stripe__post_refunds", Revision: "r1", Heading: "stripe post refunds Create customer balance refund", Description: "Refund a charge that has previously been created but not yet refunded.", Params: "charge amount reason POST v1 refunds"},
		}
		if err := s.UpdateToolIndex(ctx, a.ID, put, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateToolIndex(ctx, b.ID, put[2:], nil); err != nil {
			t.Fatal(err)
		}

		t.Run("a search ranks the tool whose name holds the words first", func(t *testing.T) {
			hits, err := s.SearchToolIndex(ctx, a.ID, []string{"create", "issue", "repository"}, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != 3 || hits[0].Name != "github__issues_create" || hits[0].Score <= hits[1].Score {
				t.Fatalf("hits = %+v", hits)
			}
			hits, err = s.SearchToolIndex(ctx, a.ID, []string{"refund", "charge"}, 1)
			if err != nil || len(hits) != 1 || hits[0].Name != "stripe__post_refunds" {
				t.Fatalf("refund hits = %+v, %v", hits, err)
			}
		})

		t.Run("another agent's index is not searched", func(t *testing.T) {
			hits, err := s.SearchToolIndex(ctx, b.ID, []string{"issue", "pull"}, 10)
			if err != nil || len(hits) != 0 {
				t.Fatalf("hits = %+v, %v", hits, err)
			}
		})

		t.Run("entries are replaced and dropped", func(t *testing.T) {
			changed := put[0]
			changed.Revision, changed.Heading, changed.Description = "r2", "github issues create Open a ticket", "Opens a ticket."
			if err := s.UpdateToolIndex(ctx, a.ID, []store.ToolIndexEntry{changed}, []string{"github__pulls_create"}); err != nil {
				t.Fatal(err)
			}
			revs, err := s.ToolIndexRevisions(ctx, a.ID)
			if err != nil || len(revs) != 2 || revs["github__issues_create"] != "r2" || revs["stripe__post_refunds"] != "r1" {
				t.Fatalf("revisions = %v, %v", revs, err)
			}
			hits, err := s.SearchToolIndex(ctx, a.ID, []string{"ticket"}, 10)
			if err != nil || len(hits) != 1 || hits[0].Name != "github__issues_create" {
				t.Fatalf("ticket hits = %+v, %v", hits, err)
			}
			if hits, _ := s.SearchToolIndex(ctx, a.ID, []string{"pull"}, 10); len(hits) != 0 {
				t.Fatalf("a dropped tool is still found: %+v", hits)
			}
		})

		t.Run("words that are not plain are ignored, not run", func(t *testing.T) {
			hits, err := s.SearchToolIndex(ctx, a.ID, []string{`x" OR agent_id : "`, "NEAR(", "*"}, 10)
			if err != nil || len(hits) != 0 {
				t.Fatalf("hits = %+v, %v", hits, err)
			}
		})
	})
}

// Two sessions (or nodes) may bring one agent's index up to date at the
// same moment, each with its entries in its own order: the order of a Go
// map. On PostgreSQL two such transactions that lock the same rows in
// opposite orders deadlock, and one of them fails: a search then answered
// that it could not search the agent's tools.
func TestTwoUpdatesOfOneIndexAtOnceBothSucceed(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, owner := newOrg(t, s, "concurrent-index@example.com")
		a, err := s.CreateAgent(ctx, store.Agent{OrgID: org.ID, Name: "racer", KeyPrefix: "pba_race", CreatedBy: owner.ID}, "hash-race")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		var entries []store.ToolIndexEntry
		for i := range 16 {
			name := fmt.Sprintf("crm__action_%02d", i)
			names = append(names, name)
			entries = append(entries, store.ToolIndexEntry{Name: name, Revision: "r1", Heading: "crm action " + name})
		}
		reversed := slices.Clone(names)
		slices.Reverse(reversed)
		backwards := slices.Clone(entries)
		slices.Reverse(backwards)
		half := len(names) / 2
		// Each pair runs at once, from an index that holds every entry.
		// The last pair disagrees on what the index should hold, as two
		// sessions that read the grants before and after a change do.
		pairs := [][2]func() error{
			{
				func() error { return s.UpdateToolIndex(ctx, a.ID, nil, names) },
				func() error { return s.UpdateToolIndex(ctx, a.ID, nil, reversed) },
			},
			{
				func() error { return s.UpdateToolIndex(ctx, a.ID, entries, nil) },
				func() error { return s.UpdateToolIndex(ctx, a.ID, backwards, nil) },
			},
			{
				func() error { return s.UpdateToolIndex(ctx, a.ID, entries[half:], names[:half]) },
				func() error { return s.UpdateToolIndex(ctx, a.ID, entries[:half], names[half:]) },
			},
		}
		for round := range 4 {
			for i, pair := range pairs {
				if err := s.UpdateToolIndex(ctx, a.ID, entries, nil); err != nil {
					t.Fatal(err)
				}
				errs := make(chan error, 2)
				start := make(chan struct{})
				for _, update := range pair {
					go func() {
						<-start
						errs <- update()
					}()
				}
				close(start)
				for range 2 {
					if err := <-errs; err != nil {
						t.Fatalf("round %d, pair %d: two updates of one agent's index at once: %v", round, i, err)
					}
				}
			}
		}
		if err := s.UpdateToolIndex(ctx, a.ID, entries, nil); err != nil {
			t.Fatal(err)
		}
		// An entry both dropped and put in one update is kept, as when the
		// drops went first.
		if err := s.UpdateToolIndex(ctx, a.ID, []store.ToolIndexEntry{{Name: names[0], Revision: "r2"}}, names[:1]); err != nil {
			t.Fatal(err)
		}
		revs, err := s.ToolIndexRevisions(ctx, a.ID)
		if err != nil || len(revs) != len(names) || revs[names[0]] != "r2" {
			t.Fatalf("index after the updates = %v, %v", revs, err)
		}
	})
}
