package retention_test

import (
	"context"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/retention"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// TestPruningKeepsIntakeGoing prunes a backlog of old events while senders
// deliver new ones, and measures ingest alone and during the pruning: every
// delivery is still acknowledged, and intake keeps most of its speed.
func TestPruningKeepsIntakeGoing(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		f := newFixture(t, engine)
		const backlog = 20_000
		body := []byte(`{"pad":"` + strings.Repeat("x", 900) + `"}`)
		for done := 0; done < backlog; done += 1000 {
			err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
				for range 1000 {
					old := time.Now().Add(-10 * day)
					e := store.Event{ID: store.EventIDAt(old), OrgID: f.orgID, WebhookID: f.webhook, Headers: "{}", Body: body, ReceivedAt: old}
					if _, err := tx.InsertEvent(context.Background(), e); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		url := f.srv.URL + "/hooks/" + f.webhook
		// Intake alone is measured before and after the pruning, and
		// averaged, so that a machine warming up or getting busier does
		// not pass for the pruning's effect.
		idle := func() { time.Sleep(2 * time.Second) }
		before := ingest(t, url, idle)
		var report retention.Report
		var took time.Duration
		during := ingest(t, url, func() {
			start := time.Now()
			var err error
			report, _, err = retention.NewPruner(retention.PrunerConfig{Store: f.st}).Run(context.Background(), time.Minute)
			took = time.Since(start)
			if err != nil {
				t.Error(err)
			}
		})
		after := ingest(t, url, idle)
		alone := (before + after) / 2
		if report["events"] != backlog {
			t.Fatalf("pruned %d events, want the backlog of %d", report["events"], backlog)
		}
		ratio := during / alone
		t.Logf("%s: ingest %.0f ev/s alone (%.0f before, %.0f after), %.0f ev/s while pruning %d events in %s (%.2f)",
			engine, alone, before, after, during, backlog, took.Round(time.Millisecond), ratio)
		if ratio < 0.3 {
			t.Fatalf("intake fell to %.2f of its speed while pruning", ratio)
		}
	})
}

// ingest delivers signed events from 8 senders while work runs and returns
// the acknowledged events per second; a refused delivery fails the test.
func ingest(t *testing.T, url string, work func()) float64 {
	t.Helper()
	sender := servertest.Send(t, url, "github", "s3cret", 8)
	defer sender.Stop()
	time.Sleep(200 * time.Millisecond) // warm up
	base, start := sender.Acked.Load(), time.Now()
	work()
	return float64(sender.Acked.Load()-base) / time.Since(start).Seconds()
}
