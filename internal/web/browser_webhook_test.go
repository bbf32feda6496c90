package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestBrowserStripeWebhook creates a Stripe webhook in the pages, copies
// nothing by hand, builds a trigger with a live check against the last
// event, sends a test event and watches it arrive and run Create Contact.
func TestBrowserStripeWebhook(t *testing.T) {
	t.Parallel()
	chromium(t)
	up, created := crmUpstream(t)
	in := servertest.Start(t, servertest.Options{})
	// The CRM integration comes from the API here; the connector test
	// builds it in the pages.
	deployCRM(t, in, up.URL)

	b := newBrowser(t, in.URL)
	b.signInFirst(firstLink(t, in), "ada@example.com", "a long enough password")

	b.open("/webhooks")
	b.do("create a Stripe webhook", fill("#w-name", "Stripe payments"), chromedp.SetValue(chromedp.CSS("#w-source"), "stripe"),
		click("form[action='/webhooks'] button[type=submit]"))
	b.waitText("main h1", "Stripe payments is ready")
	url, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#wh-url")))
	secret, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#wh-secret")))
	if !strings.HasPrefix(url, in.URL+"/hooks/wh_") || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("created page shows URL %q and secret %q", url, secret)
	}
	b.shot("webhook-created")
	b.do("continue", click("#continue"))
	b.waitText("#triggers-title", "Triggers")

	// A test event first, so the builder has something to check against.
	b.do("send a test event", click("#send-test"))
	b.waitText(".flash", "arrived")
	b.waitText("#events", "evt_test")

	// The builder's check runs the same compiler as trigger runs.
	b.do("write a trigger", fill("#t-when", `event.type == "payment_intent.succeeded"`),
		chromedp.SetValue(chromedp.CSS("#t-tool"), "custom_crm:create_contact"),
		fill("#m0-name", "name"), fill("#m0-value", "{{ event.data.object.customer }}"),
		fill("#m1-name", "email"), fill("#m1-value", "billing@example.com"),
		click("button[name=check]"))
	b.waitText("#live-check", "matches")
	b.waitText("#live-check", "cus_123456")
	b.do("add the trigger", click("#trigger-form button.primary"))
	b.waitText(".flash", "Added the trigger")

	// A second test event runs the trigger, which calls the CRM.
	b.do("send another test event", click("#send-test"))
	b.waitText(".flash", "arrived")
	deadline := time.Now().Add(30 * time.Second)
	for created.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if created.Load() == 0 {
		t.Fatal("the trigger never called Create Contact")
	}
	for time.Now().Before(deadline) {
		b.open("/webhooks/" + strings.TrimPrefix(url, in.URL+"/hooks/"))
		if s := b.text("#events tbody tr:first-child"); strings.Contains(s, "succeeded") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.waitText("#events tbody tr:first-child", "succeeded")
	b.shot("webhook")
	b.do("open the event", click("#events tbody tr:first-child a"))
	b.waitText("#event-status", "succeeded")
	b.waitText("#event-body", "payment_intent.succeeded")
	b.shot("webhook-event")
	if page, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(page, secret) {
		t.Fatal("the event page shows the webhook secret")
	}
}
