package retention_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/id"
	"github.com/plugboard/plugboard/internal/retention"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// TestPruningKeepsIntakeGoing prunes a backlog of old events while senders
// deliver new ones: deliveries keep being acknowledged while the job works
// (not only after it), the backlog goes, and every acknowledged event is
// stored. How fast intake is meanwhile is measured out of process, against
// the built binary, by the load tool's pruning row (docs/benchmarks.md).
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
		sender := servertest.Send(t, f.srv.URL+"/hooks/"+f.webhook, "github", "s3cret", 8)
		sender.WaitFor(100) // intake is going
		// While the job runs, a watcher looks again and again at how many
		// old events are left and how many deliveries were acknowledged.
		type look struct {
			left  int
			acked int64
		}
		var looks []look
		stop, watched := make(chan struct{}), make(chan error, 1)
		go func() {
			query := "SELECT COUNT(*) FROM webhook_events WHERE webhook_id = ? AND id < ?"
			if engine == store.Postgres {
				query = "SELECT COUNT(*) FROM webhook_events WHERE webhook_id = $1 AND id < $2"
			}
			cut := id.Before("evt", time.Now().Add(-5*day))
			for {
				var left int
				if err := f.st.DB().QueryRowContext(context.Background(), query, f.webhook, cut).Scan(&left); err != nil {
					watched <- err
					return
				}
				looks = append(looks, look{left, sender.Acked.Load()})
				select {
				case <-stop:
					watched <- nil
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
		start := time.Now()
		report, _, err := retention.NewPruner(retention.PrunerConfig{Store: f.st}).Run(context.Background(), time.Minute)
		took := time.Since(start)
		close(stop)
		if werr := <-watched; werr != nil {
			t.Fatal(werr)
		}
		sender.Stop()
		if err != nil {
			t.Fatal(err)
		}
		if report["events"] != backlog {
			t.Fatalf("pruned %d events, want the backlog of %d", report["events"], backlog)
		}
		// Deliveries were acknowledged between two looks that both found
		// the job partway through the backlog: intake went on while the
		// job worked, not only once it was done.
		var partway []look
		for _, l := range looks {
			if l.left > 0 && l.left < backlog {
				partway = append(partway, l)
			}
		}
		if len(partway) < 2 || partway[len(partway)-1].acked == partway[0].acked {
			t.Fatalf("no delivery was acknowledged while the job was partway through the backlog (%d of %d looks found it partway; it took %s)",
				len(partway), len(looks), took.Round(time.Millisecond))
		}
		during := partway[len(partway)-1].acked - partway[0].acked
		ids := sender.IDs()
		var stored int
		for _, id := range ids {
			if _, err := f.st.GetEvent(context.Background(), f.orgID, id); err == nil {
				stored++
			} else if !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
		}
		if stored != len(ids) {
			t.Fatalf("%d of the %d acknowledged events are stored", stored, len(ids))
		}
		t.Logf("%s: %d events pruned in %s; %d deliveries acknowledged while it was partway", engine, backlog, took.Round(time.Millisecond), during)
	})
}
