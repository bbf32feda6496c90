package signature_test

import (
	"net/http"
	"testing"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// Shopify publishes no signature vector, so this one was computed with
// OpenSSL, an implementation independent of Go's:
//
//	printf '%s' "$body" | openssl dgst -sha256 -hmac shpss_5f1b2c3d4e -binary | base64
const (
	shopifySecret    = "shpss_5f1b2c3d4e"
	shopifyBody      = `{"id":820982911946154508,"email":"jon@example.com","topic":"orders/create"}`
	shopifySignature = "mSe3ZRnkoqU95hSKpVTxPxLPnEWZ+azqvqwo2AKnjG0="
)

func TestShopifyOpenSSLVector(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "shopify", signature.Options{})
	secret := mustDecode(t, "shopify", shopifySecret)
	for _, header := range []string{"X-Shopify-Hmac-Sha256", "Shopify-Hmac-Sha256"} {
		h := http.Header{}
		h.Set(header, shopifySignature)
		if err := v.Verify(h, []byte(shopifyBody), [][]byte{secret}, testNow); err != nil {
			t.Errorf("Verify(vector in %s) = %v", header, err)
		}
	}
	if got := v.Sign([]byte(shopifyBody), secret, testNow).Get("X-Shopify-Hmac-Sha256"); got != shopifySignature {
		t.Errorf("Sign = %q, want %q", got, shopifySignature)
	}
}

func TestShopifyEventIDPrefersTheWebhookID(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "shopify", signature.Options{})
	cases := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"both", map[string]string{"X-Shopify-Webhook-Id": "b54557e4", "X-Shopify-Event-Id": "98880550"}, "b54557e4"},
		{"event id only", map[string]string{"X-Shopify-Event-Id": "98880550"}, "98880550"},
		{"events delivery", map[string]string{"Shopify-Webhook-Id": "c0ffee"}, "c0ffee"},
		{"none", nil, ""},
	}
	for _, c := range cases {
		h := http.Header{}
		for k, val := range c.headers {
			h.Set(k, val)
		}
		if got := v.EventID(h, nil); got != c.want {
			t.Errorf("%s: EventID = %q, want %q", c.name, got, c.want)
		}
	}
}
