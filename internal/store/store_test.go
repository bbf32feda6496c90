package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/id"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func newOrg(t testing.TB, s *store.Store, email string) (store.Org, store.User) {
	t.Helper()
	org, owner, err := s.CreateOrg(context.Background(), store.Org{Name: "Acme", Plan: "growth"},
		store.User{Email: email, Name: "Ada"}, "bootstrap", "pb_abc", "hash-"+email)
	if err != nil {
		t.Fatalf("create org: %v", err)
	}
	return org, owner
}

// newWebhook creates a GitHub webhook of org named name.
func newWebhook(t *testing.T, s *store.Store, org store.Org, name string) store.Webhook {
	t.Helper()
	w, err := s.CreateWebhook(context.Background(), store.Webhook{ID: store.NewWebhookID(), OrgID: org.ID, Name: name, Source: "github", Secret: "sealed"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		t.Run("keys resolve to their principal and stop after revocation", func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			org, owner := newOrg(t, s, "ada@example.com")
			p, err := s.PrincipalByKeyHash(ctx, "hash-ada@example.com")
			if err != nil {
				t.Fatalf("principal: %v", err)
			}
			if p.Org.ID != org.ID || p.User.ID != owner.ID || p.User.Role != store.RoleOwner || p.Org.Plan != "growth" {
				t.Fatalf("principal = %+v", p)
			}
			if err := s.RevokeAPIKey(ctx, org.ID, owner.ID, p.KeyID); err != nil {
				t.Fatalf("revoke: %v", err)
			}
			if _, err := s.PrincipalByKeyHash(ctx, "hash-ada@example.com"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("revoked key: err = %v, want ErrNotFound", err)
			}
		})

		t.Run("integrations are versioned and scoped to their org", func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			org, owner := newOrg(t, s, "a@example.com")
			other, _ := newOrg(t, s, "b@example.com")
			in, err := s.CreateIntegration(ctx, store.Integration{OrgID: org.ID, Slug: "custom_crm", Name: "Custom CRM", CreatedBy: owner.ID}, []byte(`{"v":1}`))
			if err != nil {
				t.Fatal(err)
			}
			if in.Status() != "draft" || in.LatestVersion != 1 {
				t.Fatalf("new integration: status %s version %d", in.Status(), in.LatestVersion)
			}
			if _, err := s.CreateIntegration(ctx, store.Integration{OrgID: org.ID, Slug: "custom_crm", Name: "Again"}, []byte(`{}`)); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("duplicate slug: err = %v, want ErrConflict", err)
			}
			if _, err := s.GetIntegration(ctx, other.ID, in.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("other org sees integration: err = %v", err)
			}
			if got, err := s.GetIntegration(ctx, org.ID, "custom_crm"); err != nil || got.ID != in.ID {
				t.Fatalf("by slug: %v %v", got, err)
			}
			dep, err := s.Deploy(ctx, org.ID, in.ID, 1)
			if err != nil || dep.Status() != "deployed" || dep.DeployedVersion != 1 {
				t.Fatalf("deploy: %+v %v", dep, err)
			}
			up, err := s.AddVersion(ctx, org.ID, in.ID, "Custom CRM 2", []byte(`{"v":2}`), owner.ID)
			if err != nil {
				t.Fatal(err)
			}
			if up.LatestVersion != 2 || up.DeployedVersion != 1 || up.Status() != "draft" {
				t.Fatalf("after edit: %+v", up)
			}
			v1, err := s.GetVersion(ctx, in.ID, 1)
			if err != nil || string(v1.Definition) != `{"v":1}` || v1.DeployedAt.IsZero() {
				t.Fatalf("deployed version changed: %s %v", v1.Definition, err)
			}
			if n, _ := s.CountIntegrations(ctx, org.ID); n != 1 {
				t.Fatalf("count = %d", n)
			}
		})

		t.Run("connections resolve to the user's own, else the shared one, never another user's", func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			org, owner := newOrg(t, s, "c@example.com")
			bob, err := s.CreateUser(ctx, store.User{OrgID: org.ID, Email: "bob@example.com", Role: store.RoleDeveloper})
			if err != nil {
				t.Fatal(err)
			}
			in, _ := s.CreateIntegration(ctx, store.Integration{OrgID: org.ID, Slug: "crm", Name: "CRM"}, []byte(`{}`))
			mk := func(user, secret string) store.Connection {
				c, err := s.CreateConnection(ctx, store.Connection{ID: store.NewConnectionID(), OrgID: org.ID, IntegrationID: in.ID, Environment: "sandbox", UserID: user, Secret: secret})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			shared := mk("", "shared")
			own := mk(owner.ID, "owner")
			if _, err := s.CreateConnection(ctx, store.Connection{ID: store.NewConnectionID(), OrgID: org.ID, IntegrationID: in.ID, Environment: "sandbox", Secret: "x"}); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("second shared sandbox connection: err = %v", err)
			}
			if c, _ := s.ResolveConnection(ctx, org.ID, in.ID, "sandbox", owner.ID); c.ID != own.ID {
				t.Fatalf("owner resolves to %s, want own %s", c.ID, own.ID)
			}
			if c, _ := s.ResolveConnection(ctx, org.ID, in.ID, "sandbox", bob.ID); c.ID != shared.ID {
				t.Fatalf("bob resolves to %s, want shared %s", c.ID, shared.ID)
			}
			if _, err := s.ResolveConnection(ctx, org.ID, in.ID, "production", bob.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("production: err = %v", err)
			}
			list, _ := s.ListConnections(ctx, org.ID, in.ID, bob.ID)
			if len(list) != 1 || list[0].ID != shared.ID {
				t.Fatalf("bob lists %d connections", len(list))
			}
			exp := time.Now().Add(time.Hour).Truncate(time.Millisecond).UTC()
			if err := s.UpdateConnectionSecret(ctx, own.ID, "new", exp, store.ConnActive, ""); err != nil {
				t.Fatal(err)
			}
			got, _ := s.GetConnectionByID(ctx, own.ID)
			if got.Secret != "new" || !got.TokenExpiry.Equal(exp) {
				t.Fatalf("after update: secret %q expiry %v", got.Secret, got.TokenExpiry)
			}
			n, err := s.ResealSecrets(ctx, func(id, sealed string) (string, bool, error) { return sealed + "!", true, nil })
			if err != nil || n != 2 {
				t.Fatalf("reseal: n=%d err=%v", n, err)
			}
		})

		t.Run("call logs filter and page newest first", func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			org, _ := newOrg(t, s, "d@example.com")
			var logs []store.CallLog
			for i, status := range []int{200, 500, 201, 404} {
				logs = append(logs, store.CallLog{ID: "log_" + string(rune('a'+i)), OrgID: org.ID, IntegrationID: "int_1", Action: "a", Method: "GET", URL: "https://x", Status: status, Source: "api", CreatedAt: time.Now()})
			}
			if err := s.InsertCallLogs(ctx, logs); err != nil {
				t.Fatal(err)
			}
			full := store.CallLog{ID: "log_full", OrgID: org.ID, IntegrationID: "int_3", Action: "get", Environment: "production", Source: "mcp",
				Actor: "agent_1", UserID: "usr_1", Method: "POST", URL: "https://z/p?q=1", Status: 201, DurationMS: 12.5, Attempts: 2, Error: "",
				RequestHeaders: "A: b\n", RequestBody: `{"in":1}`, ResponseHeaders: "C: d\n", ResponseBody: `{"out":2}`, CreatedAt: time.UnixMilli(1_700_000_000_123)}
			if err := s.InsertCallLogs(ctx, []store.CallLog{full}); err != nil {
				t.Fatal(err)
			}
			if got, err := s.GetCallLog(ctx, org.ID, "log_full"); err != nil || got.UserID != "usr_1" || got.DurationMS != 12.5 || got.Attempts != 2 ||
				got.ResponseBody != `{"out":2}` || got.RequestHeaders != "A: b\n" || got.Source != "mcp" || !got.CreatedAt.Equal(full.CreatedAt) {
				t.Fatalf("every column of a call log comes back: %+v, %v", got, err)
			}
			errs, err := s.ListCallLogs(ctx, org.ID, store.CallLogFilter{Status: "error"})
			if err != nil || len(errs) != 2 || errs[0].ID != "log_d" {
				t.Fatalf("errors: %v %v", errs, err)
			}
			page, _ := s.ListCallLogs(ctx, org.ID, store.CallLogFilter{Limit: 2, Before: "log_c"})
			if len(page) != 2 || page[0].ID != "log_b" || page[1].ID != "log_a" {
				t.Fatalf("page: %v", page)
			}

			// Batches larger than one INSERT statement's rows all land.
			var many []store.CallLog
			for i := 0; i < 123; i++ {
				many = append(many, store.CallLog{ID: fmt.Sprintf("log_m%03d", i), OrgID: org.ID, IntegrationID: "int_2", Method: "POST", URL: "https://y", Status: 201, CreatedAt: time.Now()})
			}
			if err := s.InsertCallLogs(ctx, many); err != nil {
				t.Fatal(err)
			}
			got, _ := s.ListCallLogs(ctx, org.ID, store.CallLogFilter{IntegrationID: "int_2", Limit: 500})
			if len(got) != 123 || got[0].ID != "log_m122" {
				t.Fatalf("large batch: %d rows, first %v", len(got), got[0].ID)
			}

			// A time window keeps the entries that started in it, whose
			// ids carry the time they ended: a 30 s call that started just
			// before the window's end is in, one that started at its end
			// is out.
			at := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
			window := []store.CallLog{
				{ID: id.At("log", at.Add(-time.Minute)), CreatedAt: at.Add(-time.Minute)},                        // before
				{ID: id.At("log", at.Add(30*time.Second)), CreatedAt: at},                                        // at the start
				{ID: id.At("log", at.Add(time.Hour+29*time.Second)), CreatedAt: at.Add(time.Hour - time.Second)}, // ends after the window
				{ID: id.At("log", at.Add(time.Hour)), CreatedAt: at.Add(time.Hour)},                              // at the end: out
			}
			for i := range window {
				window[i].OrgID, window[i].IntegrationID, window[i].Method, window[i].URL, window[i].Status = org.ID, "int_w", "GET", "https://w", 200
			}
			if err := s.InsertCallLogs(ctx, window); err != nil {
				t.Fatal(err)
			}
			in, err := s.ListCallLogs(ctx, org.ID, store.CallLogFilter{Since: at, Until: at.Add(time.Hour)})
			if err != nil || len(in) != 2 || in[0].ID != window[2].ID || in[1].ID != window[1].ID {
				t.Fatalf("the window's entries: %+v, %v", in, err)
			}
		})
	})
}
