package servertest

import (
	"context"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
)

// Events lists every stored event of a webhook, page by page, with its
// trigger runs, by event id, and counts the events whose runs have not
// settled (succeeded or dead) yet.
func Events(t testing.TB, c *client.Client, webhookID string) (map[string][]client.TriggerRun, int) {
	t.Helper()
	all, busy := map[string][]client.TriggerRun{}, 0
	for cursor := ""; ; {
		page, err := c.ListEvents(context.Background(), webhookID, client.EventQuery{Cursor: cursor, Limit: 500})
		if err != nil {
			t.Fatalf("list events: %v", err)
		}
		for _, e := range page.Events {
			all[e.ID] = e.Runs
			if !settled(e.Runs) {
				busy++
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			return all, busy
		}
	}
}

// SettledEvents waits until at least atLeast events are stored and every
// stored event's runs have settled, and returns them. The deadline only
// stops a hung test.
func SettledEvents(t testing.TB, c *client.Client, webhookID string, atLeast int) map[string][]client.TriggerRun {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		all, busy := Events(t, c, webhookID)
		if busy == 0 && len(all) >= atLeast {
			return all
		}
		if time.Now().After(deadline) {
			t.Fatalf("trigger runs did not settle: %d of %d events busy", busy, len(all))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func settled(runs []client.TriggerRun) bool {
	if len(runs) == 0 {
		return false
	}
	for _, r := range runs {
		if r.Status != "succeeded" && r.Status != "dead" {
			return false
		}
	}
	return true
}
