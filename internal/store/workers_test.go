package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// codeFixture is an organization with a registered code integration and a
// worker serving its "write" action.
func codeFixture(t *testing.T, s *store.Store, email string) (store.Org, store.Integration, store.Worker) {
	t.Helper()
	ctx := context.Background()
	org, owner := newOrg(t, s, email)
	in, changed, err := s.RegisterCode(ctx, store.CodeRegistration{OrgID: org.ID, Slug: "tool", Name: "Tool", Definition: []byte(`{"v":1}`), ManifestHash: "h1", Manifest: []byte(`{}`), By: owner.ID})
	if err != nil || !changed || in.Kind != store.KindCode || in.LatestVersion != 1 {
		t.Fatalf("register: %+v %v %v", in, changed, err)
	}
	w, err := s.CreateWorker(ctx, store.Worker{OrgID: org.ID, IntegrationID: in.ID, Name: "w1", Version: 1, Actions: []string{"write", "read"}, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	return org, in, w
}

func queue(t *testing.T, s *store.Store, org store.Org, in store.Integration, id string) {
	t.Helper()
	err := s.CreateInvocation(context.Background(), store.Invocation{ID: id, OrgID: org.ID, IntegrationID: in.ID, Version: 1, Action: "write",
		Environment: "sandbox", Input: json.RawMessage(`{}`), IdempotencyKey: id, DeadlineAt: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCodeIntegrationsAndInvocations(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		t.Run("a new version only when the definition changes", func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			org, in, _ := codeFixture(t, s, "v@example.com")
			reg := store.CodeRegistration{OrgID: org.ID, Slug: "tool", Name: "Tool", Definition: []byte(`{"v":1}`), ManifestHash: "h1", Manifest: []byte(`{}`)}
			again, changed, err := s.RegisterCode(ctx, reg)
			if err != nil || changed || again.LatestVersion != 1 || again.ID != in.ID {
				t.Fatalf("same hash: %+v changed=%v %v", again, changed, err)
			}
			reg.ManifestHash, reg.Definition = "h2", []byte(`{"v":2}`)
			again, changed, err = s.RegisterCode(ctx, reg)
			if err != nil || !changed || again.LatestVersion != 2 {
				t.Fatalf("new hash: %+v changed=%v %v", again, changed, err)
			}
			if v, err := s.GetVersion(ctx, in.ID, 2); err != nil || string(v.Definition) != `{"v":2}` {
				t.Fatalf("version 2 = %s %v", v.Definition, err)
			}
			if _, err := s.CreateIntegration(ctx, store.Integration{OrgID: org.ID, Slug: "json_one", Name: "JSON One"}, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			reg.Slug = "json_one"
			if _, _, err := s.RegisterCode(ctx, reg); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("over a JSON integration: %v", err)
			}
			reg.Slug, reg.CheckNew = "brand_new", func(int) error { return errors.New("plan full") }
			if _, _, err := s.RegisterCode(ctx, reg); err == nil || err.Error() == "" {
				t.Fatalf("plan check ignored")
			}
		})

		t.Run("leases: claim once, renew, expire to another worker, first result wins", func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			org, in, a := codeFixture(t, s, "l@example.com")
			b, _ := s.CreateWorker(ctx, store.Worker{OrgID: org.ID, IntegrationID: in.ID, Name: "w2", Version: 1, Actions: []string{"write"}, Concurrency: 4})
			queue(t, s, org, in, "inv_1")
			claim := func(w store.Worker, lease time.Duration) []store.Invocation {
				got, err := s.ClaimInvocations(ctx, store.Claim{OrgID: org.ID, IntegrationID: in.ID, WorkerID: w.ID, Actions: w.Actions, Max: 4, Lease: lease, MaxAttempts: 3})
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			// The lease is long enough that a busy machine gets through the
			// checks below before it runs out, and short enough to wait for.
			const lease = 1500 * time.Millisecond
			got := claim(a, lease)
			if len(got) != 1 || got[0].Attempts != 1 || got[0].WorkerID != a.ID {
				t.Fatalf("first claim = %+v", got)
			}
			if again := claim(b, time.Minute); len(again) != 0 {
				t.Fatalf("a held invocation was claimed again: %+v", again)
			}
			// Renewing reports what the worker no longer holds.
			lost, err := s.RenewLeases(ctx, org.ID, a.ID, []string{"inv_1", "inv_gone"}, lease)
			if err != nil || len(lost) != 1 || lost[0] != "inv_gone" {
				t.Fatalf("renew: lost %v %v", lost, err)
			}
			for len(got) == 1 && got[0].WorkerID == a.ID {
				time.Sleep(50 * time.Millisecond) // until the lease has run out
				if next := claim(b, time.Minute); len(next) == 1 {
					got = next
				}
			}
			if got[0].WorkerID != b.ID || got[0].Attempts != 2 || got[0].IdempotencyKey != "inv_1" {
				t.Fatalf("after expiry: %+v", got[0])
			}
			if lost, _ := s.RenewLeases(ctx, org.ID, a.ID, []string{"inv_1"}, time.Minute); len(lost) != 1 {
				t.Fatalf("the first worker still holds it")
			}
			ok, err := s.CompleteInvocation(ctx, org.ID, "inv_1", store.Completion{Status: store.InvSucceeded, Output: json.RawMessage(`{"ok":true}`)})
			if err != nil || !ok {
				t.Fatalf("complete: %v %v", ok, err)
			}
			ok, _ = s.CompleteInvocation(ctx, org.ID, "inv_1", store.Completion{Status: store.InvFailed, Error: "late"})
			final, _ := s.GetInvocation(ctx, org.ID, "inv_1")
			if ok || final.Status != store.InvSucceeded || string(final.Output) != `{"ok":true}` {
				t.Fatalf("second result: decided=%v, final %+v", ok, final)
			}
			if _, err := s.GetInvocation(ctx, "org_other", "inv_1"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("another organization read the invocation: %v", err)
			}
		})

		t.Run("stopping a worker releases what it had not started", func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			org, in, w := codeFixture(t, s, "s@example.com")
			queue(t, s, org, in, "inv_a")
			queue(t, s, org, in, "inv_b")
			got, _ := s.ClaimInvocations(ctx, store.Claim{OrgID: org.ID, IntegrationID: in.ID, WorkerID: w.ID, Actions: w.Actions, Max: 4, Lease: time.Minute, MaxAttempts: 3})
			if len(got) != 2 {
				t.Fatalf("claimed %d", len(got))
			}
			if err := s.StopWorker(ctx, org.ID, w.ID, []string{"inv_a"}); err != nil {
				t.Fatal(err)
			}
			a, _ := s.GetInvocation(ctx, org.ID, "inv_a")
			b, _ := s.GetInvocation(ctx, org.ID, "inv_b")
			if a.Status != store.InvLeased || b.Status != store.InvPending {
				t.Fatalf("after stop: a %s, b %s", a.Status, b.Status)
			}
			if n, _ := s.LiveWorkers(ctx, org.ID, in.ID, "", time.Now().Add(-time.Minute)); n != 0 {
				t.Fatalf("a stopped worker counts as live")
			}
			if err := s.TouchWorker(ctx, org.ID, w.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("touching a stopped worker: %v", err)
			}
		})

		t.Run("concurrent claimers never share an invocation", func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			org, in, _ := codeFixture(t, s, "c@example.com")
			const n = 60
			for i := range n {
				queue(t, s, org, in, fmt.Sprintf("inv_%03d", i))
			}
			var mu sync.Mutex
			owner := map[string]string{}
			var wg sync.WaitGroup
			for k := range 6 {
				w, err := s.CreateWorker(ctx, store.Worker{OrgID: org.ID, IntegrationID: in.ID, Name: fmt.Sprint("w", k), Version: 1, Actions: []string{"write"}, Concurrency: 3})
				if err != nil {
					t.Fatal(err)
				}
				wg.Go(func() {
					for {
						got, err := s.ClaimInvocations(ctx, store.Claim{OrgID: org.ID, IntegrationID: in.ID, WorkerID: w.ID, Actions: w.Actions, Max: 3, Lease: time.Minute, MaxAttempts: 3})
						if err != nil {
							t.Error(err)
							return
						}
						if len(got) == 0 {
							return
						}
						mu.Lock()
						for _, inv := range got {
							if prev, dup := owner[inv.ID]; dup {
								t.Errorf("%s claimed by %s and %s", inv.ID, prev, w.ID)
							}
							owner[inv.ID] = w.ID
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(owner) != n {
				t.Fatalf("claimed %d of %d", len(owner), n)
			}
		})
	})
}
