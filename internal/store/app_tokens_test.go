package store_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func TestConnectedApps(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		s := storetest.Open(t, engine)
		ctx := context.Background()
		org, ada := newOrg(t, s, "apps@example.com")

		client := store.AppClient{ID: "https://app.example/client.json", Kind: store.ClientDocument, Name: "Desk",
			RedirectURIs: []string{"http://127.0.0.1/cb"}, GrantTypes: []string{"authorization_code", "refresh_token"}, AuthMethod: "none",
			FetchedAt: time.Now()}
		if err := s.PutAppClient(ctx, client); err != nil {
			t.Fatal(err)
		}
		keyed, err := s.CreateAgent(ctx, store.Agent{OrgID: org.ID, Name: "bot", KeyPrefix: "pba_x", CreatedBy: ada.ID}, "key-hash")
		if err != nil {
			t.Fatal(err)
		}
		app, err := s.CreateAgent(ctx, store.Agent{OrgID: org.ID, Name: "Desk", CreatedBy: ada.ID, ClientID: client.ID}, "app-hash")
		if err != nil {
			t.Fatal(err)
		}

		t.Run("a document client's row follows its document", func(t *testing.T) {
			changed := client
			changed.Name, changed.RedirectURIs = "Desk 2", []string{"http://127.0.0.1/cb", "https://app.example/cb"}
			if err := s.PutAppClient(ctx, changed); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetAppClient(ctx, client.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Desk 2" || !reflect.DeepEqual(got.RedirectURIs, changed.RedirectURIs) || got.FetchedAt.IsZero() {
				t.Fatalf("client = %+v", got)
			}
		})

		t.Run("a connected app is listed for its person, not with the agents, and no key finds it", func(t *testing.T) {
			apps, err := s.ConnectedApps(ctx, org.ID, ada.ID)
			if err != nil || len(apps) != 1 || apps[0].ID != app.ID || !apps[0].Connected() {
				t.Fatalf("connected apps = %+v, %v", apps, err)
			}
			agents, err := s.ListAgents(ctx, org.ID)
			if err != nil || len(agents) != 1 || agents[0].ID != keyed.ID {
				t.Fatalf("agents = %+v, %v", agents, err)
			}
			if _, err := s.AgentByKeyHash(ctx, "app-hash"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("key lookup of a connected app: %v", err)
			}
			if err := s.TouchAgent(ctx, app.ID, time.UnixMilli(1_700_000_000_000)); err != nil {
				t.Fatal(err)
			}
			got, _ := s.GetAgent(ctx, org.ID, app.ID)
			if got.LastUsedAt.UnixMilli() != 1_700_000_000_000 {
				t.Fatalf("last used = %v", got.LastUsedAt)
			}
		})

		t.Run("an authorization code is claimed once, even by racing exchanges", func(t *testing.T) {
			code := store.AppCode{Hash: "code-1", ClientID: client.ID, RedirectURI: "http://127.0.0.1/cb", CodeChallenge: "ch",
				Resource: "http://x/mcp", OrgID: org.ID, AgentID: app.ID, UserID: ada.ID, ExpiresAt: time.Now().Add(time.Minute)}
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateAppCode(ctx, code) }); err != nil {
				t.Fatal(err)
			}
			var wins, used int
			var mu sync.Mutex
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := s.InTx(ctx, func(tx *store.Tx) error {
						_, err := tx.UseAppCode(ctx, "code-1", time.Now())
						return err
					})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						wins++
					case errors.Is(err, store.ErrUsed):
						used++
					default:
						t.Errorf("claim: %v", err)
					}
				}()
			}
			wg.Wait()
			if wins != 1 || used != 3 {
				t.Fatalf("wins = %d, used = %d; want 1 and 3", wins, used)
			}
			err := s.InTx(ctx, func(tx *store.Tx) error { _, err := tx.UseAppCode(ctx, "no-such-code", time.Now()); return err })
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown code: %v", err)
			}
		})

		t.Run("a refresh token rotates once and a family is revoked whole", func(t *testing.T) {
			var fam store.AppFamily
			err := s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				if fam, err = tx.CreateAppFamily(ctx, store.AppFamily{OrgID: org.ID, AgentID: app.ID, ClientID: client.ID, UserID: ada.ID, Resource: "http://x/mcp", Scope: "mcp:tools offline_access"}); err != nil {
					return err
				}
				for _, tok := range []store.AppToken{{Hash: "at-1", Kind: store.TokenAccess}, {Hash: "rt-1", Kind: store.TokenRefresh}} {
					tok.FamilyID, tok.ExpiresAt = fam.ID, time.Now().Add(time.Hour)
					if err := tx.AddAppToken(ctx, tok); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			tok, f, err := s.AppTokenByHash(ctx, "at-1")
			if err != nil || tok.Kind != store.TokenAccess || f.ID != fam.ID || f.Scope != "mcp:tools offline_access" || f.Resource != "http://x/mcp" {
				t.Fatalf("token = %+v, family = %+v, %v", tok, f, err)
			}
			rotate := func(hash string) error {
				return s.InTx(ctx, func(tx *store.Tx) error { return tx.UseAppRefresh(ctx, hash, time.Now()) })
			}
			if err := rotate("at-1"); !errors.Is(err, store.ErrUsed) {
				t.Fatalf("an access token rotated as a refresh token: %v", err)
			}
			if err := rotate("rt-1"); err != nil {
				t.Fatal(err)
			}
			if err := rotate("rt-1"); !errors.Is(err, store.ErrUsed) {
				t.Fatalf("second rotation: %v", err)
			}
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.RevokeAppFamily(ctx, fam.ID, "test", time.Now()) }); err != nil {
				t.Fatal(err)
			}
			_, f, _ = s.AppTokenByHash(ctx, "at-1")
			if f.RevokedAt.IsZero() || f.RevokedReason != "test" {
				t.Fatalf("family after revocation = %+v", f)
			}
		})

		t.Run("expired codes and tokens are purged a day later", func(t *testing.T) {
			err := s.InTx(ctx, func(tx *store.Tx) error {
				f, err := tx.CreateAppFamily(ctx, store.AppFamily{OrgID: org.ID, AgentID: app.ID, ClientID: client.ID, UserID: ada.ID, Resource: "r"})
				if err != nil {
					return err
				}
				return tx.AddAppToken(ctx, store.AppToken{Hash: "old", FamilyID: f.ID, Kind: store.TokenAccess, ExpiresAt: time.Now().Add(-48 * time.Hour)})
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.PurgeApp(ctx, time.Now().Add(-24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.AppTokenByHash(ctx, "old"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("expired token kept: %v", err)
			}
			if _, _, err := s.AppTokenByHash(ctx, "at-1"); err != nil {
				t.Fatalf("live token purged: %v", err)
			}
		})
	})
}
