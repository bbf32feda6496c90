package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func TestAgents(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, owner := newOrg(t, s, "agents@example.com")
		other, _ := newOrg(t, s, "other-agents@example.com")
		crm, err := s.CreateIntegration(ctx, store.Integration{OrgID: org.ID, Slug: "crm", Name: "CRM"}, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		mail, err := s.CreateIntegration(ctx, store.Integration{OrgID: org.ID, Slug: "mail", Name: "Mail"}, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}

		grants := []store.Grant{
			{IntegrationID: mail.ID, Actions: []string{"send"}, Environment: "production", RunAs: owner.ID},
			{IntegrationID: crm.ID},
		}
		a, err := s.CreateAgent(ctx, store.Agent{OrgID: org.ID, Name: "support bot", KeyPrefix: "pba_abc", Grants: grants, CreatedBy: owner.ID}, "hash-1")
		if err != nil {
			t.Fatalf("create: %v", err)
		}

		t.Run("the key resolves to the agent with its grants in order", func(t *testing.T) {
			got, err := s.AgentByKeyHash(ctx, "hash-1")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != a.ID || got.OrgID != org.ID || got.Name != "support bot" || got.KeyPrefix != "pba_abc" {
				t.Fatalf("agent = %+v", got)
			}
			if !reflect.DeepEqual(got.Grants, grants) {
				t.Fatalf("grants = %+v, want %+v", got.Grants, grants)
			}
			if !got.Grants[1].AllActions() || got.Grants[0].AllActions() {
				t.Fatalf("AllActions wrong: %+v", got.Grants)
			}
		})

		t.Run("another organization does not see it", func(t *testing.T) {
			if _, err := s.GetAgent(ctx, other.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			list, err := s.ListAgents(ctx, other.ID)
			if err != nil || len(list) != 0 {
				t.Fatalf("other org lists %v, %v", list, err)
			}
		})

		t.Run("grants are replaced and follow deleted integrations", func(t *testing.T) {
			a2, err := s.CreateAgent(ctx, store.Agent{OrgID: org.ID, Name: "editor", KeyPrefix: "pba_def", Grants: grants}, "hash-2")
			if err != nil {
				t.Fatal(err)
			}
			up, err := s.UpdateAgent(ctx, store.Agent{ID: a2.ID, OrgID: org.ID, Name: "editor 2", Grants: []store.Grant{{IntegrationID: crm.ID, Actions: []string{"get"}}}})
			if err != nil {
				t.Fatal(err)
			}
			if up.Name != "editor 2" || len(up.Grants) != 1 || up.Grants[0].Actions[0] != "get" {
				t.Fatalf("updated = %+v", up)
			}
			if err := s.DeleteIntegration(ctx, org.ID, crm.ID); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetAgent(ctx, org.ID, a2.ID)
			if err != nil || len(got.Grants) != 0 {
				t.Fatalf("after deleting the integration: %+v, %v", got.Grants, err)
			}
			if _, err := s.UpdateAgent(ctx, store.Agent{ID: a2.ID, OrgID: other.ID, Name: "x"}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("update from another org: %v", err)
			}
		})

		t.Run("rotation and revocation take effect at once", func(t *testing.T) {
			a3, err := s.CreateAgent(ctx, store.Agent{OrgID: org.ID, Name: "rotating", KeyPrefix: "pba_1"}, "hash-3")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.RotateAgentKey(ctx, org.ID, a3.ID, "pba_2", "hash-4"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AgentByKeyHash(ctx, "hash-3"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("old key: %v", err)
			}
			if got, err := s.AgentByKeyHash(ctx, "hash-4"); err != nil || got.KeyPrefix != "pba_2" || got.KeyRotatedAt.IsZero() {
				t.Fatalf("new key: %+v %v", got, err)
			}
			if err := s.RevokeAgent(ctx, org.ID, a3.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AgentByKeyHash(ctx, "hash-4"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("revoked key: %v", err)
			}
			if err := s.RevokeAgent(ctx, org.ID, a3.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("second revoke: %v", err)
			}
			if err := s.RotateAgentKey(ctx, org.ID, a3.ID, "pba_3", "hash-5"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("rotate a revoked agent: %v", err)
			}
			got, err := s.GetAgent(ctx, org.ID, a3.ID)
			if err != nil || got.RevokedAt.IsZero() {
				t.Fatalf("revoked agent: %+v %v", got, err)
			}
		})
	})
}

func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, _ := newOrg(t, s, "idem@example.com")
		now := time.Now()
		day, abandoned := now.Add(-24*time.Hour), now.Add(-5*time.Minute)
		rec := store.IdempotencyRecord{OrgID: org.ID, Scope: "mcp:agt_1", Key: "k1", Fingerprint: "f1", CreatedAt: now}

		if _, ok, err := s.ReserveIdempotencyKey(ctx, rec, day, abandoned); err != nil || !ok {
			t.Fatalf("first reserve: %v %v", ok, err)
		}
		held, ok, err := s.ReserveIdempotencyKey(ctx, rec, day, abandoned)
		if err != nil || ok || held.Result != nil || held.Fingerprint != "f1" {
			t.Fatalf("reserve while in flight: %+v %v %v", held, ok, err)
		}
		if err := s.CompleteIdempotencyKey(ctx, org.ID, rec.Scope, rec.Key, json.RawMessage(`{"status":201}`)); err != nil {
			t.Fatal(err)
		}
		held, ok, err = s.ReserveIdempotencyKey(ctx, rec, day, abandoned)
		if err != nil || ok || string(held.Result) != `{"status":201}` {
			t.Fatalf("reserve after completion: %+v %v %v", held, ok, err)
		}

		other := rec
		other.Scope = "mcp:agt_2"
		if _, ok, err := s.ReserveIdempotencyKey(ctx, other, day, abandoned); err != nil || !ok {
			t.Fatalf("same key in another scope: %v %v", ok, err)
		}
		if err := s.ReleaseIdempotencyKey(ctx, org.ID, other.Scope, other.Key); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.ReserveIdempotencyKey(ctx, other, day, abandoned); err != nil || !ok {
			t.Fatalf("reserve after release: %v %v", ok, err)
		}

		// A day later the first record no longer holds its key.
		if _, ok, err := s.ReserveIdempotencyKey(ctx, rec, now.Add(time.Second), abandoned); err != nil || !ok {
			t.Fatalf("reserve after the window: %v %v", ok, err)
		}
		n, err := s.PurgeIdempotencyKeys(ctx, now.Add(time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("purge: %d %v", n, err)
		}
	})
}
