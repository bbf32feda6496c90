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

func TestDashboardStore(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		t.Run("sessions resolve to their member until deleted", func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			org, owner := newOrg(t, s, "ses@example.com")
			exp := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
			sess, err := inTx(s, func(tx *store.Tx) (store.Session, error) {
				return tx.CreateSession(ctx, store.Session{TokenHash: "h1", UserID: owner.ID, OrgID: org.ID, CSRFToken: "c1", ExpiresAt: exp})
			})
			if err != nil {
				t.Fatal(err)
			}
			got, p, err := s.SessionByTokenHash(ctx, "h1")
			if err != nil || got.ID != sess.ID || got.CSRFToken != "c1" || !got.ExpiresAt.Equal(exp) || p.User.ID != owner.ID || p.Org.ID != org.ID {
				t.Fatalf("session = %+v, principal %+v, err %v", got, p, err)
			}
			later := time.Now().Add(10 * time.Minute)
			if err := s.TouchSession(ctx, sess.ID, later); err != nil {
				t.Fatal(err)
			}
			if got, _, _ = s.SessionByTokenHash(ctx, "h1"); got.LastSeenAt.UnixMilli() != later.UnixMilli() {
				t.Fatalf("last seen %v, want %v", got.LastSeenAt, later)
			}
			n, err := s.DeleteExpiredSessions(ctx, time.Now(), time.Now().Add(time.Minute))
			if err != nil || n != 0 {
				t.Fatalf("expired sweep removed %d (err %v), want 0", n, err)
			}
			if n, _ = s.DeleteExpiredSessions(ctx, exp.Add(time.Second), time.Time{}); n != 1 {
				t.Fatalf("sweep past expiry removed %d, want 1", n)
			}
			if _, _, err := s.SessionByTokenHash(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("deleted session: %v", err)
			}
		})
		t.Run("sign-in links work once and set the password", func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			org, owner := newOrg(t, s, "link@example.com")
			other, _ := newOrg(t, s, "taken@example.com")
			_ = other
			now := time.Now()
			if _, err := inTx(s, func(tx *store.Tx) (store.SigninLink, error) {
				return tx.CreateSigninLink(ctx, store.SigninLink{TokenHash: "t1", UserID: owner.ID, OrgID: org.ID, Purpose: store.LinkFirstSignIn, ExpiresAt: now.Add(time.Hour)})
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := inTx(s, func(tx *store.Tx) (store.Session, error) {
				return tx.CreateSession(ctx, store.Session{TokenHash: "old", UserID: owner.ID, OrgID: org.ID, CSRFToken: "c", ExpiresAt: now.Add(time.Hour)})
			}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.SigninLinkByTokenHash(ctx, "t1", now.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("expired link: %v", err)
			}
			if _, err := redeem(s, "t1", now, store.PasswordChange{Email: "taken@example.com", PasswordHash: "x"}); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("email of another member: %v, want ErrConflict", err)
			}
			p, err := redeem(s, "t1", now, store.PasswordChange{Email: "new@example.com", Name: "Ada", PasswordHash: "$argon2id$x"})
			if err != nil || p.User.Email != "new@example.com" || p.User.PasswordHash != "$argon2id$x" {
				t.Fatalf("redeem: %+v, %v", p.User, err)
			}
			if got, _ := s.PrincipalByEmail(ctx, "new@example.com"); got.User.PasswordHash != "$argon2id$x" {
				t.Fatalf("stored hash %q", got.User.PasswordHash)
			}
			if _, err := redeem(s, "t1", now, store.PasswordChange{PasswordHash: "y"}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("second use: %v, want ErrNotFound", err)
			}
			if _, _, err := s.SessionByTokenHash(ctx, "old"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("setting a password keeps older sessions: %v", err)
			}
		})
		t.Run("call stats bucket counts, errors and latency percentiles", func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			org, _ := newOrg(t, s, "stats@example.com")
			since := time.Now().Truncate(time.Minute).Add(-10 * time.Minute)
			var logs []store.CallLog
			add := func(minute, status int, ms float64, failed string) {
				logs = append(logs, store.CallLog{ID: storetest.Name("log"), OrgID: org.ID, IntegrationID: "int_a", Method: "GET", URL: "https://x", Status: status,
					DurationMS: ms, Error: failed, CreatedAt: since.Add(time.Duration(minute)*time.Minute + time.Second)})
			}
			for i := 1; i <= 20; i++ { // minute 0: 20 calls of 1..20 ms, two of them 500s
				status := 200
				if i > 18 {
					status = 500
				}
				add(0, status, float64(i), "")
			}
			add(3, 0, 0, "dial tcp: refused") // minute 3: one failure without an answer
			add(3, 201, 40, "")
			add(12, 200, 5, "") // outside the range
			logs = append(logs, store.CallLog{ID: storetest.Name("log"), OrgID: org.ID, IntegrationID: "int_b", Method: "GET", URL: "https://x", Status: 200, CreatedAt: since})
			if err := s.InsertCallLogs(ctx, logs); err != nil {
				t.Fatal(err)
			}
			b, err := s.CallStats(ctx, org.ID, "int_a", since, since.Add(10*time.Minute), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != 10 || !b[0].Start.Equal(since.UTC()) {
				t.Fatalf("%d buckets from %v", len(b), b[0].Start)
			}
			if b[0].Calls != 20 || b[0].Errors != 2 || b[0].P50MS != 10 || b[0].P95MS != 19 {
				t.Fatalf("minute 0 = %+v, want 20 calls, 2 errors, p50 10, p95 19", b[0])
			}
			if b[3].Calls != 2 || b[3].Errors != 1 || b[3].P50MS != 40 {
				t.Fatalf("minute 3 = %+v, want 2 calls, 1 error, p50 40 (failures without an answer have no latency)", b[3])
			}
			for _, i := range []int{1, 2, 4, 9} {
				if b[i].Calls != 0 || b[i].P95MS != 0 {
					t.Fatalf("minute %d = %+v, want empty", i, b[i])
				}
			}
			if _, err := s.CallStats(ctx, org.ID, "int_a", since, since, time.Minute); err == nil {
				t.Fatal("an empty range is an error")
			}
		})
	})
}

// BenchmarkCallStats measures the monitor page's query over a busy day:
// 50,000 calls of one integration in 96 buckets of 15 minutes.
func BenchmarkCallStats(b *testing.B) {
	for _, engine := range []string{store.SQLite, store.Postgres} {
		b.Run(engine, func(b *testing.B) {
			s, org := benchOrg(b, engine)
			ctx := context.Background()
			until := time.Now().Truncate(15 * time.Minute)
			since := until.Add(-24 * time.Hour)
			const n = 50_000
			batch := make([]store.CallLog, 0, 1000)
			for i := range n {
				status := 200
				if i%40 == 0 {
					status = 502
				}
				batch = append(batch, store.CallLog{ID: fmt.Sprintf("log_%08d", i), OrgID: org.ID, IntegrationID: "int_bench", Method: "POST", URL: "https://x",
					Status: status, DurationMS: float64(20 + i%300), CreatedAt: since.Add(time.Duration(i) * 24 * time.Hour / n)})
				if len(batch) == cap(batch) {
					if err := s.InsertCallLogs(ctx, batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			b.ResetTimer()
			for b.Loop() {
				out, err := s.CallStats(ctx, org.ID, "int_bench", since, until, 15*time.Minute)
				if err != nil || len(out) != 96 {
					b.Fatalf("%d buckets, %v", len(out), err)
				}
			}
		})
	}
}

// BenchmarkListCallLogs measures a page of the call log (the dashboard's
// Logs page, GET /v1/logs, plugboard logs) in an organization that kept
// 200,000 entries: the newest page and the one below a cursor.
//
//	go test ./internal/store -run '^$' -bench ListCallLogs
func BenchmarkListCallLogs(b *testing.B) {
	for _, engine := range []string{store.SQLite, store.Postgres} {
		b.Run(engine, func(b *testing.B) {
			s, org := benchOrg(b, engine)
			ctx := context.Background()
			const n = 200_000
			start := time.Now().Add(-30 * 24 * time.Hour)
			batch := make([]store.CallLog, 0, 1000)
			var cursor string
			for i := range n {
				at := start.Add(time.Duration(i) * 30 * 24 * time.Hour / n)
				l := store.CallLog{ID: id.At("log", at), OrgID: org.ID, IntegrationID: "int_bench", Method: "GET", URL: "https://x", Status: 200, CreatedAt: at}
				if i == n/2 {
					cursor = l.ID
				}
				batch = append(batch, l)
				if len(batch) == cap(batch) {
					if err := s.InsertCallLogs(ctx, batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			if engine == store.Postgres {
				// What autovacuum does within a minute of such a load:
				// without statistics the planner takes the cursor's range
				// for a hundred rows and sorts the hundred thousand it holds.
				if _, err := s.DB().ExecContext(ctx, "ANALYZE call_logs"); err != nil {
					b.Fatal(err)
				}
			}
			for _, page := range []struct{ name, before string }{{"newest", ""}, {"below_a_cursor", cursor}} {
				b.Run(page.name, func(b *testing.B) {
					for b.Loop() {
						out, err := s.ListCallLogs(ctx, org.ID, store.CallLogFilter{Before: page.before, Limit: 100})
						if err != nil || len(out) != 100 {
							b.Fatalf("%d entries, %v", len(out), err)
						}
					}
				})
			}
		})
	}
}

// BenchmarkInsertCallLogs measures what the call log's writer does for a
// batch of 512 entries like those of a proxied GET (no action, no error,
// no request body), on SQLite: about a tenth of a node's CPU on the API
// paths. ns/op is one batch.
//
//	go test ./internal/store -run '^$' -bench InsertCallLogs -benchtime 400x
func BenchmarkInsertCallLogs(b *testing.B) {
	s, org := benchOrg(b, store.SQLite)
	ctx := context.Background()
	batch := make([]store.CallLog, 512)
	for b.Loop() {
		now := time.Now()
		for i := range batch {
			batch[i] = store.CallLog{ID: id.New("log"), OrgID: org.ID, IntegrationID: "int_bench", Source: "proxy", Actor: "key:bench",
				Method: "GET", URL: "https://api.example.com/v1/contacts/42?expand=owner", Status: 200, DurationMS: 1.5, Attempts: 1,
				RequestHeaders:  `{"Accept":["application/json"],"Authorization":["[REDACTED]"],"User-Agent":["plugboard"]}`,
				ResponseHeaders: `{"Content-Length":["182"],"Content-Type":["application/json"],"Date":["Mon, 30 Nov 2026 06:00:00 GMT"]}`,
				ResponseBody:    `{"id":42,"name":"Ada Lovelace","email":"ada@example.com","company":"Analytical Engines","owner":{"id":7,"name":"Charles"}}`,
				CreatedAt:       now}
		}
		if err := s.InsertCallLogs(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/entry")
}

// benchOrg opens a store on engine with an organization in it.
func benchOrg(b *testing.B, engine string) (*store.Store, store.Org) {
	s := storetest.Open(b, engine)
	org, _, err := s.CreateOrg(context.Background(), store.Org{Name: "Bench"}, store.User{Email: storetest.Name("b") + "@example.com"}, "", "", "")
	if err != nil {
		b.Fatal(err)
	}
	return s, org
}

// inTx runs one write in a transaction, as the application layer does.
func inTx[T any](s *store.Store, fn func(*store.Tx) (T, error)) (T, error) {
	var out T
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

func redeem(s *store.Store, hash string, now time.Time, ch store.PasswordChange) (store.Principal, error) {
	return inTx(s, func(tx *store.Tx) (store.Principal, error) {
		_, p, err := tx.RedeemSigninLink(context.Background(), hash, now, ch)
		return p, err
	})
}
