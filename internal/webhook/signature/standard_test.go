package signature_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// The vector shared by the Standard Webhooks reference libraries.
const (
	standardSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	standardID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	standardTimestamp = 1614265330
	standardPayload   = `{"test": 2432232314}`
	standardSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestStandardReferenceVector(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "standard", signature.Options{})
	secret := mustDecode(t, "standard", standardSecret)
	now := time.Unix(standardTimestamp, 0)
	for _, prefix := range []string{"Webhook-", "Svix-"} {
		h := http.Header{}
		h.Set(prefix+"Id", standardID)
		h.Set(prefix+"Timestamp", "1614265330")
		h.Set(prefix+"Signature", standardSignature)
		if err := v.Verify(h, []byte(standardPayload), [][]byte{secret}, now); err != nil {
			t.Errorf("Verify(vector with %s headers) = %v", prefix, err)
		}
		if id := v.EventID(h, nil); id != standardID {
			t.Errorf("EventID(%s headers) = %q, want %q", prefix, id, standardID)
		}
	}
}

func TestStandardAgreesWithTheReferenceLibrary(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "standard", signature.Options{})
	secretText := signature.GenerateSecret("standard")
	secret := mustDecode(t, "standard", secretText)
	ref, err := standardwebhooks.NewWebhook(secretText)
	if err != nil {
		t.Fatalf("reference library rejects our generated secret: %v", err)
	}
	// The reference library checks timestamps against the real clock.
	now := time.Now()

	ours := v.Sign(testBody, secret, now)
	if err := ref.Verify(testBody, ours); err != nil {
		t.Errorf("reference library rejects our signature: %v", err)
	}

	sig, err := ref.Sign(standardID, now, testBody)
	if err != nil {
		t.Fatal(err)
	}
	theirs := http.Header{}
	theirs.Set("Webhook-Id", standardID)
	theirs.Set("Webhook-Timestamp", ours.Get("Webhook-Timestamp"))
	theirs.Set("Webhook-Signature", sig)
	if err := v.Verify(theirs, testBody, [][]byte{secret}, now); err != nil {
		t.Errorf("we reject the reference library's signature %q: %v", sig, err)
	}
}

func TestStandardRequiresIDAndTimestamp(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "standard", signature.Options{})
	secret := mustDecode(t, "standard", standardSecret)
	for _, drop := range []string{"Webhook-Id", "Webhook-Timestamp"} {
		h := v.Sign(testBody, secret, testNow)
		h.Del(drop)
		if err := v.Verify(h, testBody, [][]byte{secret}, testNow); !errors.Is(err, signature.ErrMissingSignature) {
			t.Errorf("without %s: Verify = %v, want ErrMissingSignature", drop, err)
		}
	}
}
