package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// A node keeps a webhook's settings for a few seconds, so an event can reach
// its commit after another node deleted the webhook. It is not stored and
// its sender is told the webhook is gone; before, the event failed its
// whole batch on the events' foreign key, and every sender in it got 503.
func TestAnEventForAWebhookDeletedOnAnotherNodeIsAnsweredNotFound(t *testing.T) {
	t.Parallel()
	nodes := servertest.Cluster(t, 2, nil)
	a, b := nodes[0], nodes[1]
	ctx := context.Background()
	wh := createWebhook(t, a.Client, client.WebhookInput{Name: "Gone", Source: "stripe"})
	atB := strings.Replace(wh.URL, a.URL, b.URL, 1)
	if atB == wh.URL {
		t.Fatalf("webhook URL %s is not on node %s", wh.URL, a.URL)
	}
	sign := stripeSigner(t, wh.Secret)
	first := []byte(`{"id": "evt_gone_1", "type": "customer.created"}`)
	deliver(t, atB, first, sign(first)) // node b now holds the webhook's settings

	if err := a.Client.DeleteWebhook(ctx, wh.ID); err != nil {
		t.Fatal(err)
	}
	late := []byte(`{"id": "evt_gone_2", "type": "customer.created"}`)
	status, _, body := post(t, atB, late, sign(late))
	if status != http.StatusNotFound {
		t.Fatalf("an event for a webhook deleted on another node: %d %s; want 404", status, body)
	}
}
