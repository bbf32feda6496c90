package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func TestAuditTrailIsHashChained(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, owner := newOrg(t, s, "audit@example.com")
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.AppendAudit(ctx, store.AuditEvent{OrgID: org.ID, ActorUserID: owner.ID, Action: "POST /v1/integrations", TargetID: fmt.Sprint(i), Status: 201}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		v, err := s.VerifyAudit(ctx, org.ID)
		if err != nil || !v.OK || v.Entries != 20 {
			t.Fatalf("verify: %+v %v", v, err)
		}
		list, _ := s.ListAudit(ctx, org.ID, store.AuditFilter{Limit: 5})
		if len(list) != 5 || list[0].Seq != 20 {
			t.Fatalf("list: %d entries, first seq %d", len(list), list[0].Seq)
		}

		// Rewriting history is detected.
		if _, err := s.DB().ExecContext(ctx, fmt.Sprintf(`UPDATE audit_events SET action = 'DELETE /v1/integrations/{id}' WHERE org_id = '%s' AND seq = 7`, org.ID)); err != nil {
			t.Fatal(err)
		}
		v, _ = s.VerifyAudit(ctx, org.ID)
		if v.OK || v.BrokenAt != 7 {
			t.Fatalf("tampered trail verified: %+v", v)
		}
	})
}
