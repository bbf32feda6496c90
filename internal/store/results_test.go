package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// A stored result reads back only for its owner in its organization, and
// not after it expires; pruning deletes the expired ones.
func TestStoredResults(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, _ := newOrg(t, s, "results@example.com")
		other, _ := newOrg(t, s, "other-results@example.com")
		at := time.Now().UTC().Truncate(time.Millisecond)
		live := store.StoredResult{ID: "res_live", OrgID: org.ID, Owner: "agent:a1", IntegrationID: "int_1", Action: "list",
			Body: []byte(`[1,2,3]`), Items: 3, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		old := store.StoredResult{ID: "res_old", OrgID: org.ID, Owner: "agent:a1", Body: []byte(`{}`), Items: -1, CreatedAt: at.Add(-2 * time.Hour), ExpiresAt: at.Add(-time.Hour)}
		for _, r := range []store.StoredResult{live, old} {
			if err := s.PutResult(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.GetResult(ctx, org.ID, "agent:a1", "res_live")
		if err != nil || string(got.Body) != `[1,2,3]` || got.Items != 3 || got.Action != "list" || !got.ExpiresAt.Equal(live.ExpiresAt) {
			t.Fatalf("GetResult = %+v, %v", got, err)
		}
		for name, read := range map[string][3]string{
			"another owner":        {org.ID, "agent:a2", "res_live"},
			"another organization": {other.ID, "agent:a1", "res_live"},
			"expired":              {org.ID, "agent:a1", "res_old"},
		} {
			if _, err := s.GetResult(ctx, read[0], read[1], read[2]); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: err = %v, want ErrNotFound", name, err)
			}
		}
		n, err := s.PruneResults(ctx, at)
		if err != nil || n != 1 {
			t.Fatalf("PruneResults = %d, %v; want 1", n, err)
		}
	})
}
