package retention_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/id"
	"github.com/plugboard/plugboard/internal/retention"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

const day = 24 * time.Hour

// fixture is a server with one webhook, and direct access to its store to
// lay down rows of a given age.
type fixture struct {
	t       *testing.T
	srv     *servertest.Instance
	st      *store.Store
	orgID   string
	userID  string
	webhook string
}

func newFixture(t *testing.T, engine string) *fixture {
	// The tests prune by hand, when their rows are in place.
	srv := servertest.Start(t, servertest.Options{Engine: engine, Quiet: true, Configure: func(c *config.Config) { c.PruneInterval = -1 }})
	var me struct {
		User struct{ ID string } `json:"user"`
		Org  struct{ ID string } `json:"org"`
	}
	if err := srv.Client.Do(context.Background(), "GET", "/v1/me", nil, &me); err != nil {
		t.Fatal(err)
	}
	// The free plan: events and call logs 3 days, bodies 1.
	if err := srv.Client.Do(context.Background(), "PATCH", "/v1/org", map[string]string{"plan": "free"}, nil); err != nil {
		t.Fatal(err)
	}
	wh, err := srv.Client.CreateWebhook(context.Background(), client.WebhookInput{Name: "Kept", Source: "github", Secret: "s3cret", RateLimitPerSecond: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: srv, st: srv.Server.Store, orgID: me.Org.ID, userID: me.User.ID, webhook: wh.ID}
}

// exec runs a statement written with ? placeholders on either engine.
func (f *fixture) exec(query string, args ...any) {
	f.t.Helper()
	if f.st.Engine() == store.Postgres {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	if _, err := f.st.DB().ExecContext(context.Background(), query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	if f.st.Engine() == store.Postgres {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	var n int
	if err := f.st.DB().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// event stores an event received age ago with one trigger run in status
// and one attempt, and returns the event's id.
func (f *fixture) event(age time.Duration, status string) string {
	f.t.Helper()
	at := time.Now().Add(-age)
	e := store.Event{ID: store.EventIDAt(at), OrgID: f.orgID, WebhookID: f.webhook, Headers: "{}", Body: []byte(`{"pad":"` + strings.Repeat("x", 900) + `"}`), ReceivedAt: at}
	run := store.TriggerRun{ID: store.NewRunID(), OrgID: f.orgID, WebhookID: f.webhook, EventID: e.ID, TriggerID: "trg_kept", CreatedAt: at}
	err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.InsertEvent(context.Background(), e); err != nil {
			return err
		}
		return tx.InsertTriggerRun(context.Background(), run)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.exec(`UPDATE trigger_runs SET status = ? WHERE id = ?`, status, run.ID)
	f.exec(`INSERT INTO trigger_attempts (run_id, number, status, started_at) VALUES (?, 1, 'failed', ?)`, run.ID, at.UnixMilli())
	return e.ID
}

func (f *fixture) callLog(age time.Duration) string {
	f.t.Helper()
	at := time.Now().Add(-age)
	// A call log id carries the time it was made, as the executor's do.
	l := store.CallLog{ID: id.At("log", at), OrgID: f.orgID, IntegrationID: "int_x", Source: "api", Method: "GET", URL: "https://api.example.com/x",
		Status: 200, Attempts: 1, RequestHeaders: `{"Accept":["*/*"]}`, RequestBody: `{"q":1}`, ResponseHeaders: `{}`, ResponseBody: `{"name":"Ada"}`, CreatedAt: at}
	if err := f.st.InsertCallLogs(context.Background(), []store.CallLog{l}); err != nil {
		f.t.Fatal(err)
	}
	return l.ID
}

func (f *fixture) prune() retention.Report {
	f.t.Helper()
	report, _, err := retention.NewPruner(retention.PrunerConfig{Store: f.st, BatchSize: 2}).Run(context.Background(), time.Minute)
	if err != nil {
		f.t.Fatal(err)
	}
	return report
}

// TestRetentionPrunesOldRowsAndKeepsNewOnes lays down rows on both sides
// of the free plan's limits (3 days; call log bodies 1 day; idempotency
// records 24 hours; sessions and OAuth states at expiry) and prunes: old
// rows go, new ones and an old event still retrying stay, and the audit
// trail is untouched.
func TestRetentionPrunesOldRowsAndKeepsNewOnes(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		ctx := context.Background()
		oldDone, oldDead, oldBusy := f.event(4*day, store.RunSucceeded), f.event(5*day, store.RunDead), f.event(4*day, store.RunRetrying)
		recent := f.event(2*day, store.RunSucceeded)
		oldLog, staleBodies, freshLog := f.callLog(4*day), f.callLog(2*day), f.callLog(time.Hour)
		for _, k := range []struct {
			key string
			age time.Duration
		}{{"old", 25 * time.Hour}, {"new", time.Hour}} {
			if _, _, err := f.st.ReserveIdempotencyKey(ctx, store.IdempotencyRecord{OrgID: f.orgID, Scope: "api", Key: k.key, Fingerprint: "x", CreatedAt: time.Now().Add(-k.age)},
				time.Now().Add(-48*time.Hour), time.Now().Add(-48*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range []struct {
			id      string
			expires time.Time
		}{{"ses_expired", time.Now().Add(-time.Minute)}, {"ses_live", time.Now().Add(time.Hour)}} {
			err := f.st.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.CreateSession(ctx, store.Session{ID: s.id, TokenHash: s.id, UserID: f.userID, OrgID: f.orgID, CSRFToken: "c", CreatedAt: time.Now().Add(-day), LastSeenAt: time.Now(), ExpiresAt: s.expires})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range []struct {
			id      string
			expires time.Time
		}{{"res_expired", time.Now().Add(-time.Minute)}, {"res_live", time.Now().Add(time.Hour)}} {
			if err := f.st.PutResult(ctx, store.StoredResult{ID: r.id, OrgID: f.orgID, Owner: "user:" + f.userID, Body: []byte(`[1,2,3]`),
				Items: 3, CreatedAt: time.Now().Add(-day), ExpiresAt: r.expires}); err != nil {
				t.Fatal(err)
			}
		}
		auditBefore := f.count(`SELECT COUNT(*) FROM audit_events`)

		report := f.prune()
		t.Logf("%s: %v", engine, report)

		for _, gone := range []string{oldDone, oldDead} {
			if f.count(`SELECT COUNT(*) FROM webhook_events WHERE id = ?`, gone) != 0 {
				t.Errorf("event %s is past retention and was kept", gone)
			}
			if f.count(`SELECT COUNT(*) FROM trigger_runs WHERE event_id = ?`, gone) != 0 {
				t.Errorf("the runs of event %s outlived it", gone)
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM trigger_attempts a JOIN trigger_runs r ON r.id = a.run_id`); n != 2 {
			t.Errorf("%d attempts left, want those of the two kept events", n)
		}
		for _, kept := range []string{oldBusy, recent} {
			if _, err := f.srv.Client.GetEvent(ctx, kept); err != nil {
				t.Errorf("event %s should be kept: %v", kept, err)
			}
		}
		if f.count(`SELECT COUNT(*) FROM call_logs WHERE id = ?`, oldLog) != 0 {
			t.Error("a call log entry past retention was kept")
		}
		bodies := f.count(`SELECT COUNT(*) FROM call_logs WHERE id = ? AND request_body = '' AND response_body = '' AND request_headers = ''`, staleBodies)
		if bodies != 1 {
			t.Error("a 2-day-old call log entry kept its bodies (the free plan keeps them a day) or was deleted")
		}
		if f.count(`SELECT COUNT(*) FROM call_logs WHERE id = ? AND response_body <> ''`, freshLog) != 1 {
			t.Error("a fresh call log entry lost its body")
		}
		if n := f.count(`SELECT COUNT(*) FROM idempotency_keys WHERE org_id = ?`, f.orgID); n != 1 || f.count(`SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = 'new'`) != 1 {
			t.Errorf("idempotency records left: %d, want the recent one", n)
		}
		if f.count(`SELECT COUNT(*) FROM sessions WHERE token_hash = 'ses_expired'`) != 0 || f.count(`SELECT COUNT(*) FROM sessions WHERE token_hash = 'ses_live'`) != 1 {
			t.Error("sessions: the expired one should go, the live one stay")
		}
		if f.count(`SELECT COUNT(*) FROM stored_results WHERE id = 'res_expired'`) != 0 || f.count(`SELECT COUNT(*) FROM stored_results WHERE id = 'res_live'`) != 1 {
			t.Error("stored results: the expired one should go, the live one stay")
		}
		if got := f.count(`SELECT COUNT(*) FROM audit_events`); got != auditBefore {
			t.Errorf("the audit trail went from %d to %d entries", auditBefore, got)
		}
		if report["events"] != 2 || report["call logs"] != 1 || report["call log bodies"] != 2 {
			t.Errorf("report %v", report)
		}
	})
}

// TestOperatorOverridesRetention: the platform operator keeps one
// organization's events longer; GET /v1/org shows it, the change is in
// the organization's audit trail, and the pruner honours it. Members who
// are not the operator may not change it.
func TestOperatorOverridesRetention(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	ctx := context.Background()
	var org struct {
		ID        string           `json:"id"`
		Plan      string           `json:"plan"`
		Retention retention.Policy `json:"retention"`
	}
	if err := f.srv.Client.Do(ctx, "GET", "/v1/org", nil, &org); err != nil {
		t.Fatal(err)
	}
	if org.ID != f.orgID || org.Retention.EventsDays != 3 || org.Retention.CallLogsDays != 3 || org.Retention.CallLogBodiesDays != 1 || org.Retention.Source != "plan" || org.Retention.AuditTrail != "kept" {
		t.Fatalf("GET /v1/org on the free plan: %+v", org)
	}

	var bad *client.Error
	if err := f.srv.Client.Do(ctx, "PUT", "/v1/orgs/"+f.orgID+"/retention", map[string]any{"events_days": 0, "call_log_bodies_days": 9}, nil); err == nil {
		t.Fatal("days of 0 were accepted")
	} else if !asClientError(err, &bad) || bad.Status != http.StatusBadRequest || len(bad.Errors) != 2 {
		t.Fatalf("invalid override: %v", err)
	}

	var admin struct {
		Key string `json:"key"`
	}
	if err := f.srv.Client.Do(ctx, "POST", "/v1/users", map[string]string{"email": "admin@example.com", "role": "admin"}, &admin); err != nil {
		t.Fatal(err)
	}
	if err := client.New(f.srv.URL, admin.Key).Do(ctx, "PUT", "/v1/orgs/"+f.orgID+"/retention", map[string]any{"events_days": 30}, nil); !asClientError(err, &bad) || bad.Status != http.StatusForbidden {
		t.Fatalf("an admin who is not the operator changed retention: %v", err)
	}

	var set retention.Policy
	if err := f.srv.Client.Do(ctx, "PUT", "/v1/orgs/"+f.orgID+"/retention", map[string]any{"events_days": 10}, &set); err != nil {
		t.Fatal(err)
	}
	if set.EventsDays != 10 || set.CallLogsDays != 3 || set.Source != "override" {
		t.Fatalf("after the override: %+v", set)
	}
	if err := f.srv.Client.Do(ctx, "GET", "/v1/org", nil, &org); err != nil || org.Retention.EventsDays != 10 {
		t.Fatalf("GET /v1/org after the override: %+v %v", org.Retention, err)
	}
	if f.count(`SELECT COUNT(*) FROM audit_events WHERE org_id = ? AND action = ?`, f.orgID, retention.ActionOverride) != 1 {
		t.Fatal("the override is not in the organization's audit trail")
	}

	fourDays := f.event(4*day, store.RunSucceeded)
	f.prune()
	if f.count(`SELECT COUNT(*) FROM webhook_events WHERE id = ?`, fourDays) != 1 {
		t.Fatal("a 4-day-old event went although the operator keeps events 10 days")
	}

	if err := f.srv.Client.Do(ctx, "DELETE", "/v1/orgs/"+f.orgID+"/retention", nil, &set); err != nil || set.EventsDays != 3 || set.Source != "plan" {
		t.Fatalf("reset: %+v %v", set, err)
	}
	f.prune()
	if f.count(`SELECT COUNT(*) FROM webhook_events WHERE id = ?`, fourDays) != 0 {
		t.Fatal("back on the plan's 3 days, a 4-day-old event was kept")
	}
}

func asClientError(err error, target **client.Error) bool { return errors.As(err, target) }

// TestServerPrunesOnItsOwn: a node prunes by itself, through the job
// queue's periodic job, as soon as it starts.
func TestServerPrunesOnItsOwn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	old, recent := f.event(4*day, store.RunSucceeded), f.event(time.Hour, store.RunSucceeded)
	f.srv.Stop()
	const metricsToken = "metrics-token-of-at-least-32-characters"
	srv := servertest.Start(t, servertest.Options{DataDir: f.srv.DataDir, Quiet: true, Configure: func(c *config.Config) { c.MetricsToken = metricsToken }})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := srv.Client.GetEvent(context.Background(), old); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the node did not prune an event past retention")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := srv.Client.GetEvent(context.Background(), recent); err != nil {
		t.Fatalf("a recent event went too: %v", err)
	}
	// The run counts what it pruned when it ends.
	for {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+metricsToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), `plugboard_pruned_rows_total{kind="events"} 1`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics does not count the pruned event:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPruningStopsAtItsBudgetAndSaysWhatIsLeft: a run that runs out of
// time reports rows left, so the job runs again at once.
func TestPruningStopsAtItsBudgetAndSaysWhatIsLeft(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	for range 10 {
		f.event(4*day, store.RunSucceeded)
	}
	p := retention.NewPruner(retention.PrunerConfig{Store: f.st, BatchSize: 2, Pause: 50 * time.Millisecond})
	report, more, err := p.Run(context.Background(), 80*time.Millisecond)
	if err != nil || !more || report["events"] == 0 || report["events"] >= 10 {
		t.Fatalf("a short run: %v, more %v, %v", report, more, err)
	}
	report2, more, err := p.Run(context.Background(), time.Minute)
	if err != nil || more || report["events"]+report2["events"] != 10 {
		t.Fatalf("the next run: %v, more %v, %v", report2, more, err)
	}
}
