package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// `curl -d '{…}'` labels a JSON body as a form post. The trigger must see
// the JSON all the same; an event no trigger matches says so, and can be
// listed apart from those still waiting to run.
func TestJSONBodyMatchesWhateverTheContentTypeAndUnmatchedEventsSaySo(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		srv := startServer(t, engine)
		ctx := context.Background()
		api := newContactsAPI(t)
		integration := deployContacts(t, srv.Client, api)
		wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Curl", Source: "stripe", Triggers: []client.TriggerSpec{{
			When: `event.type == "customer.created"`, Integration: integration, Action: "create_contact",
			Params: map[string]any{"name": "{{ event.data.name }}"},
		}}})
		sign := stripeSigner(t, wh.Secret)
		form := func(body []byte) http.Header {
			h := sign(body)
			h.Set("Content-Type", "application/x-www-form-urlencoded") // what curl -d sends
			return h
		}

		body := []byte(`{"id": "evt_curl_1", "type": "customer.created", "data": {"name": "Ada"}}`)
		matched := deliver(t, wh.URL, body, form(body))
		e := waitEvent(t, srv.Client, matched.ID, settled)
		if e.Status != "succeeded" || len(e.Runs) != 1 {
			t.Fatalf("a JSON event sent as a form post did not run its trigger: %+v", e)
		}

		other := []byte(`{"id": "evt_curl_2", "type": "customer.deleted", "data": {"name": "Bob"}}`)
		unmatched := deliver(t, wh.URL, other, form(other))
		e, err := srv.Client.GetEvent(ctx, unmatched.ID)
		if err != nil || e.Status != "unmatched" || len(e.Runs) != 0 {
			t.Fatalf("an event no trigger matched = %+v, %v; want status unmatched", e, err)
		}
		page, err := srv.Client.ListEvents(ctx, wh.ID, client.EventQuery{Status: "unmatched"})
		if err != nil || len(page.Events) != 1 || page.Events[0].ID != unmatched.ID {
			t.Fatalf("unmatched events = %+v, %v", page, err)
		}
		page, err = srv.Client.ListEvents(ctx, wh.ID, client.EventQuery{Status: "pending"})
		if err != nil || len(page.Events) != 0 {
			t.Fatalf("pending events = %+v, %v; the unmatched one is not pending", page, err)
		}
	})
}

// Slack's Events API sends a signed url_verification request when a URL is
// registered and expects its challenge back; nothing is stored for it.
func TestSlackURLVerificationIsAnsweredAfterTheSignatureCheck(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "sqlite")
	ctx := context.Background()
	wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Slack events", Source: "slack"})
	body := []byte(`{"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}`)

	h := signWith("slack", body, wh.Secret)
	h.Set("Content-Type", "application/json")
	status, _, data := post(t, wh.URL, body, h)
	var answer map[string]any
	if status != http.StatusOK || json.Unmarshal(data, &answer) != nil || answer["challenge"] != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" || len(answer) != 1 {
		t.Fatalf("url_verification answered %d %s; want 200 with the challenge", status, data)
	}
	expect(t, "an unsigned url_verification", wh.URL, body, http.Header{"Content-Type": {"application/json"}}, http.StatusUnauthorized)
	page, err := srv.Client.ListEvents(ctx, wh.ID, client.EventQuery{})
	if err != nil || len(page.Events) != 0 {
		t.Fatalf("the handshake was stored as an event: %+v, %v", page, err)
	}

	event := []byte(`{"token": "x", "type": "event_callback", "event_id": "Ev1", "event": {"type": "app_mention", "text": "hi"}}`)
	h = signWith("slack", event, wh.Secret)
	if r := deliver(t, wh.URL, event, h); r.ID == "" {
		t.Fatal("a Slack event after the handshake was not stored")
	}
}
