package signature_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

const stripeSecret = "whsec_test_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH"

var stripeEvent = []byte(`{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","api_version":"2025-06-30.basil","type":"customer.created","data":{"object":{"id":"cus_9s6XKzkNRiz8i3"}}}`)

func TestStripeAcceptsStripeLibrarySignatures(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "stripe", signature.Options{})
	secret := mustDecode(t, "stripe", stripeSecret)

	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload: stripeEvent, Secret: stripeSecret, Timestamp: testNow,
	})
	h := http.Header{"Stripe-Signature": {signed.Header}}
	if err := v.Verify(h, stripeEvent, [][]byte{secret}, testNow); err != nil {
		t.Fatalf("Verify(header from stripe-go %q) = %v", signed.Header, err)
	}
	if err := v.Verify(h, stripeEvent, [][]byte{secret}, testNow.Add(10*time.Minute)); !errors.Is(err, signature.ErrTimestampTooOld) {
		t.Errorf("Verify ten minutes later = %v, want ErrTimestampTooOld", err)
	}
	if id := v.EventID(h, stripeEvent); id != "evt_1NG8Du2eZvKYlo2CUI79vXWy" {
		t.Errorf("EventID = %q, want the event's id", id)
	}
}

func TestStripeLibraryAcceptsOurSignatures(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "stripe", signature.Options{})
	// stripe-go checks the timestamp against the real clock.
	h := v.Sign(stripeEvent, mustDecode(t, "stripe", stripeSecret), time.Now())
	event, err := webhook.ConstructEventWithOptions(stripeEvent, h.Get("Stripe-Signature"), stripeSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		t.Fatalf("stripe-go rejects our header %q: %v", h.Get("Stripe-Signature"), err)
	}
	if event.ID != "evt_1NG8Du2eZvKYlo2CUI79vXWy" {
		t.Errorf("stripe-go parsed event id %q", event.ID)
	}
}

func TestStripeHeaderForms(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "stripe", signature.Options{})
	secret := mustDecode(t, "stripe", stripeSecret)
	valid := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload: stripeEvent, Secret: stripeSecret, Timestamp: testNow,
	})
	legacy := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload: stripeEvent, Secret: stripeSecret, Timestamp: testNow, Scheme: "v0",
	})
	cases := []struct {
		name   string
		header string
		want   error
	}{
		{"stripe-go header", valid.Header, nil},
		{"only a v0 signature", legacy.Header, signature.ErrMissingSignature},
		{"no timestamp", "v1=" + hexOf(valid.Signature), signature.ErrMissingSignature},
		{"two timestamps", valid.Header + ",t=1", signature.ErrBadSignature},
		{"timestamp not a number", "t=soon,v1=" + hexOf(valid.Signature), signature.ErrBadSignature},
		{"signature not hex", "t=1750000000,v1=zz", signature.ErrBadSignature},
		{"unknown entries are ignored", "t=1750000000,x=1,v1=" + hexOf(valid.Signature) + ",v2=00", nil},
	}
	for _, c := range cases {
		err := v.Verify(http.Header{"Stripe-Signature": {c.header}}, stripeEvent, [][]byte{secret}, testNow)
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
}
