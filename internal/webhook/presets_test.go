package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// preset is one source with a delivery signed the way the provider (or its
// official library, or its documented vector) signs it.
type preset struct {
	source  string
	secret  string
	options map[string]any
	body    []byte
	sign    func(t *testing.T, body []byte, secret string) http.Header
}

var stripeBody = []byte(`{"id":"evt_preset_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_123456","amount":5000,"currency":"usd","customer":"cus_123456"}}}`)

// The vectors below are the ones published by each provider (see the
// signature package's tests for their sources).
var presets = []preset{
	{
		source: "stripe", secret: "whsec_test_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH", body: stripeBody,
		sign: func(t *testing.T, body []byte, secret string) http.Header {
			signed := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: secret})
			return http.Header{"Stripe-Signature": {signed.Header}}
		},
	},
	{
		source: "github", secret: "It's a Secret to Everybody", body: []byte("Hello, World!"),
		sign: func(t *testing.T, body []byte, secret string) http.Header {
			return http.Header{"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
				"X-Github-Delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"}, "X-Github-Event": {"ping"}}
		},
	},
	{
		// Slack's documented request dates from 2018: a wide tolerance lets
		// the vector itself through the HTTP path.
		source: "slack", secret: "8f742231b10e8888abcd99yyyzzz85a5", options: map[string]any{"tolerance": "100000h"},
		body: []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"),
		sign: func(t *testing.T, body []byte, secret string) http.Header {
			return http.Header{"X-Slack-Request-Timestamp": {"1531420618"}, "Content-Type": {"application/x-www-form-urlencoded"},
				"X-Slack-Signature": {"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"}}
		},
	},
	{
		source: "shopify", secret: "shpss_5f1b2c3d4e", body: []byte(`{"id":820982911946154508,"email":"jon@example.com","topic":"orders/create"}`),
		sign: func(t *testing.T, body []byte, secret string) http.Header {
			return http.Header{"X-Shopify-Hmac-Sha256": {"mSe3ZRnkoqU95hSKpVTxPxLPnEWZ+azqvqwo2AKnjG0="}, "X-Shopify-Webhook-Id": {"b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"}}
		},
	},
	{
		source: "standard", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body: []byte(`{"test": 2432232314}`),
		sign: func(t *testing.T, body []byte, secret string) http.Header {
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			sig, err := wh.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", now, body)
			if err != nil {
				t.Fatal(err)
			}
			return http.Header{"Webhook-Id": {"msg_p5jXN8AQM9LWM0D4loKWxJek"}, "Webhook-Timestamp": {strconv.FormatInt(now.Unix(), 10)}, "Webhook-Signature": {sig}}
		},
	},
	{
		source: "hmac", secret: "a-shared-secret",
		options: map[string]any{"algorithm": "sha512", "encoding": "base64", "header": "X-Acme-Signature", "prefix": "sha512=", "event_id_header": "X-Acme-Delivery"},
		body:    []byte(`{"event":"invoice.paid","id":42}`),
		sign: func(t *testing.T, body []byte, secret string) http.Header {
			m := hmac.New(sha512.New, []byte(secret))
			m.Write(body)
			return http.Header{"X-Acme-Signature": {"sha512=" + base64.StdEncoding.EncodeToString(m.Sum(nil))}, "X-Acme-Delivery": {"d-1"}}
		},
	},
}

func createWebhook(t *testing.T, c *client.Client, in client.WebhookInput) *client.Webhook {
	t.Helper()
	wh, err := c.CreateWebhook(context.Background(), in)
	if err != nil {
		t.Fatalf("create %s webhook: %v", in.Source, err)
	}
	return wh
}

func TestPresetsThroughHTTP(t *testing.T) {
	t.Parallel()
	srv := startServer(t, store.SQLite)
	for _, p := range presets {
		t.Run(p.source, func(t *testing.T) {
			t.Parallel()
			wh := createWebhook(t, srv.Client, client.WebhookInput{Name: p.source, Source: p.source, Secret: p.secret, Options: p.options})
			h := p.sign(t, p.body, p.secret)

			first := deliver(t, wh.URL, p.body, h)
			e, err := srv.Client.GetEvent(context.Background(), first.ID)
			if err != nil || e.SourceIP != "127.0.0.1" || e.ReceivedAt.IsZero() {
				t.Fatalf("stored event = %+v, %v", e, err)
			}
			// Deliveries that carry the provider's id are stored once (a
			// Slack slash command carries none).
			again := deliver(t, wh.URL, p.body, h)
			if dedupe := e.ProviderEventID != ""; dedupe != (p.source != "slack") || again.Duplicate != dedupe || (dedupe && again.ID != first.ID) {
				t.Errorf("repeated delivery = %+v (provider id %q), first %s", again, e.ProviderEventID, first.ID)
			}

			tampered := bytes.Clone(p.body)
			tampered[len(tampered)/2] ^= 1
			expect(t, "one changed byte", wh.URL, tampered, h, http.StatusUnauthorized)
			wrong := p.sign(t, p.body, signature.GenerateSecret(p.source))
			if p.source != "github" && p.source != "slack" && p.source != "shopify" { // fixed vectors
				expect(t, "wrong secret", wh.URL, p.body, wrong, http.StatusUnauthorized)
			}
			expect(t, "no signature", wh.URL, p.body, http.Header{"Content-Type": h["Content-Type"]}, http.StatusUnauthorized)
		})
	}
}

// expect posts and checks the status; a 401 must not reveal a signature.
func expect(t *testing.T, what, url string, body []byte, h http.Header, want int) []byte {
	t.Helper()
	status, header, data := post(t, url, body, h)
	if status != want {
		t.Fatalf("%s: status %d (%s), want %d", what, status, data, want)
	}
	if status == http.StatusUnauthorized {
		for _, vals := range h {
			for _, v := range vals {
				if len(v) > 20 && strings.Contains(string(data), v) {
					t.Fatalf("%s: the answer repeats a header value: %s", what, data)
				}
			}
		}
		if strings.Contains(string(data), "v1=") || strings.Contains(string(data), "sha256=") {
			t.Fatalf("%s: the answer hints at a signature: %s", what, data)
		}
	}
	if status == http.StatusTooManyRequests && header.Get("Retry-After") == "" {
		t.Fatalf("%s: 429 without Retry-After", what)
	}
	return data
}

func TestTimestampsAndSecrets(t *testing.T) {
	t.Parallel()
	srv := startServer(t, store.SQLite)
	ctx := context.Background()
	wh := createWebhook(t, srv.Client, client.WebhookInput{Name: "Stripe", Source: "stripe"})
	if !strings.HasPrefix(wh.Secret, "whsec_") || len(wh.Secret) < 40 {
		t.Fatalf("generated secret %q", wh.Secret)
	}
	signAt := func(secret string, at time.Time, body []byte) http.Header {
		signed := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at})
		return http.Header{"Stripe-Signature": {signed.Header}}
	}
	body := func(id string) []byte { return paymentEvent(id, "payment_intent.succeeded", "cus_1") }

	deliver(t, wh.URL, body("evt_now"), signAt(wh.Secret, time.Now(), body("evt_now")))
	expect(t, "expired timestamp", wh.URL, body("evt_old"), signAt(wh.Secret, time.Now().Add(-6*time.Minute), body("evt_old")), http.StatusUnauthorized)
	expect(t, "future timestamp", wh.URL, body("evt_new"), signAt(wh.Secret, time.Now().Add(6*time.Minute), body("evt_new")), http.StatusUnauthorized)

	// The secret is write-only: neither reading nor listing shows it.
	got, err := srv.Client.GetWebhook(ctx, wh.ID)
	if err != nil || got.Secret != "" {
		t.Fatalf("get webhook shows secret %q (%v)", got.Secret, err)
	}
	var raw json.RawMessage
	if err := srv.Client.Do(ctx, "GET", "/v1/webhooks", nil, &raw); err != nil || strings.Contains(string(raw), wh.Secret) {
		t.Fatalf("list shows the secret (%v)", err)
	}

	// Rotation: old and new both verify during the grace period; after
	// the next rotation the first one is gone.
	first := wh.Secret
	rotated, err := srv.Client.RotateWebhookSecret(ctx, wh.ID, "", time.Hour)
	if err != nil || rotated.Secret == "" || rotated.Secret == first || rotated.PreviousSecretEnds.IsZero() {
		t.Fatalf("rotate = %+v, %v", rotated, err)
	}
	deliver(t, wh.URL, body("evt_a"), signAt(first, time.Now(), body("evt_a")))
	deliver(t, wh.URL, body("evt_b"), signAt(rotated.Secret, time.Now(), body("evt_b")))
	third, err := srv.Client.RotateWebhookSecret(ctx, wh.ID, "whsec_chosen_by_the_user_0123456789", time.Hour)
	if err != nil || third.Secret != "whsec_chosen_by_the_user_0123456789" {
		t.Fatalf("rotate to a given secret = %+v, %v", third, err)
	}
	expect(t, "secret rotated out", wh.URL, body("evt_c"), signAt(first, time.Now(), body("evt_c")), http.StatusUnauthorized)
	deliver(t, wh.URL, body("evt_d"), signAt(rotated.Secret, time.Now(), body("evt_d")))
	deliver(t, wh.URL, body("evt_e"), signAt(third.Secret, time.Now(), body("evt_e")))

	// The sealed secret is not stored in clear.
	stored, err := srv.Server.Store.GetWebhook(ctx, mustOrg(t, srv), wh.ID)
	if err != nil || strings.Contains(stored.Secret, third.Secret) || strings.Contains(stored.PreviousSecret, rotated.Secret) {
		t.Fatalf("stored secrets are not sealed (%v)", err)
	}

	// The test endpoint signs a sample event and sends it through ingest.
	res, err := srv.Client.TestWebhook(ctx, wh.ID, nil)
	if err != nil || res.Status != 200 || res.EventID == "" {
		t.Fatalf("test webhook = %+v, %v", res, err)
	}
	e, err := srv.Client.GetEvent(ctx, res.EventID)
	if err != nil || !strings.Contains(string(e.Body), "payment_intent.succeeded") || e.Headers["Stripe-Signature"] == "" {
		t.Fatalf("test event = %+v, %v", e, err)
	}
}

func mustOrg(t *testing.T, srv *servertest.Instance) string {
	t.Helper()
	var me struct {
		Org struct {
			ID string `json:"id"`
		} `json:"org"`
	}
	if err := srv.Client.Do(context.Background(), "GET", "/v1/me", nil, &me); err != nil || me.Org.ID == "" {
		t.Fatalf("me: %+v %v", me, err)
	}
	return me.Org.ID
}
