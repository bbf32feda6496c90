package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func newConnection(t *testing.T, s *store.Store, email string) (store.Org, store.User, store.Connection) {
	t.Helper()
	ctx := context.Background()
	org, owner := newOrg(t, s, email)
	in, err := s.CreateIntegration(ctx, store.Integration{OrgID: org.ID, Slug: "api", Name: "API"}, []byte(`{"name":"API"}`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateConnection(ctx, store.Connection{ID: store.NewConnectionID(), OrgID: org.ID, IntegrationID: in.ID,
		Environment: "sandbox", Status: store.ConnPending, Secret: "sealed-0"})
	if err != nil {
		t.Fatal(err)
	}
	return org, owner, c
}

func TestOAuthStates(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, owner, conn := newConnection(t, s, "oauth@example.com")
		st := store.OAuthState{ID: "hash-1", OrgID: org.ID, ConnectionID: conn.ID, UserID: owner.ID,
			Verifier: "sealed-verifier", RedirectURI: "http://x/oauth/callback", ExpiresAt: time.Now().Add(10 * time.Minute)}
		if err := s.CreateOAuthState(ctx, st); err != nil {
			t.Fatal(err)
		}
		got, err := s.ConsumeOAuthState(ctx, "hash-1")
		if err != nil || got.ConnectionID != conn.ID || got.UserID != owner.ID || got.Verifier != "sealed-verifier" ||
			got.RedirectURI != st.RedirectURI || got.ExpiresAt.UnixMilli() != st.ExpiresAt.UnixMilli() {
			t.Fatalf("consume: %+v %v", got, err)
		}
		if _, err := s.ConsumeOAuthState(ctx, "hash-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second consume: %v, want ErrNotFound", err)
		}
		// Expired states are purged when a new one is stored, and states
		// go with their connection.
		st.ID, st.ExpiresAt = "hash-old", time.Now().Add(-time.Minute)
		if err := s.CreateOAuthState(ctx, st); err != nil {
			t.Fatal(err)
		}
		st.ID, st.ExpiresAt = "hash-new", time.Now().Add(time.Minute)
		if err := s.CreateOAuthState(ctx, st); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConsumeOAuthState(ctx, "hash-old"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired state not purged: %v", err)
		}
		if err := s.DeleteConnection(ctx, org.ID, conn.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConsumeOAuthState(ctx, "hash-new"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("state outlived its connection: %v", err)
		}
	})
}

func TestLockConnectionSavesTheUpdate(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		_, _, conn := newConnection(t, s, "lock@example.com")
		exp := time.Now().Add(time.Hour)
		err := s.LockConnection(ctx, conn.ID, func(c store.Connection) (*store.TokenUpdate, error) {
			return &store.TokenUpdate{Secret: "sealed-1", Expiry: exp, Status: store.ConnActive}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetConnectionByID(ctx, conn.ID)
		if got.Secret != "sealed-1" || got.Status != store.ConnActive || got.TokenExpiry.UnixMilli() != exp.UnixMilli() {
			t.Fatalf("after update: %+v", got)
		}
		// An error or a nil update writes nothing.
		boom := errors.New("boom")
		if err := s.LockConnection(ctx, conn.ID, func(store.Connection) (*store.TokenUpdate, error) { return nil, boom }); !errors.Is(err, boom) {
			t.Fatalf("error not passed on: %v", err)
		}
		if err := s.LockConnection(ctx, "con_missing", func(store.Connection) (*store.TokenUpdate, error) { return nil, nil }); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing connection: %v", err)
		}
	})
}

// On PostgreSQL a second holder waits for the first and sees its write,
// as a second node would.
func TestLockConnectionSerializesOnPostgres(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	_, _, conn := newConnection(t, s, "serial@example.com")
	inside := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = s.LockConnection(ctx, conn.ID, func(store.Connection) (*store.TokenUpdate, error) {
			close(inside)
			<-release
			return &store.TokenUpdate{Secret: "sealed-first", Status: store.ConnActive}, nil
		})
	})
	<-inside
	var seen string
	wg.Go(func() {
		_ = s.LockConnection(ctx, conn.ID, func(c store.Connection) (*store.TokenUpdate, error) {
			seen = c.Secret
			return nil, nil
		})
	})
	time.Sleep(50 * time.Millisecond) // let the second caller reach the lock
	close(release)
	wg.Wait()
	if seen != "sealed-first" {
		t.Fatalf("the second holder saw %q, want the first one's write", seen)
	}
}
