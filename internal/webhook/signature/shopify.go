package signature

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"time"
)

// Shopify's classic webhooks use X-Shopify-* headers; its newer Events
// deliveries send the same values without the "X-" prefix. Both are read,
// the classic name first.
var (
	shopifyHeaders        = []string{"X-Shopify-Hmac-Sha256", "Shopify-Hmac-Sha256"}
	shopifyEventIDHeaders = []string{
		"X-Shopify-Webhook-Id", "Shopify-Webhook-Id",
		"X-Shopify-Event-Id", "Shopify-Event-Id",
	}
)

// shopifyVerifier checks Shopify's scheme: the base64 HMAC-SHA256 of the body
// under the app's client secret. Shopify signs no timestamp, so redelivery is
// caught by the webhook id instead.
type shopifyVerifier struct{}

func (shopifyVerifier) Verify(h http.Header, body []byte, secrets [][]byte, _ time.Time) error {
	var items []string
	for _, name := range shopifyHeaders {
		if items = listItems(h, name); len(items) > 0 {
			break
		}
	}
	if len(items) == 0 {
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, shopifyHeaders[0])
	}
	var sigs [][]byte
	for _, item := range items {
		if sig, ok := decodeBase64(item, sha256Algorithm.size); ok {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: %s holds no base64 HMAC-SHA256", ErrBadSignature, shopifyHeaders[0])
	}
	return sha256Algorithm.verify(secrets, sigs, body)
}

// EventID prefers the webhook id, which a retry of one delivery repeats, over
// the event id, which Shopify shares between the deliveries of one event to
// several subscriptions: pointing two subscriptions at one webhook URL must
// not make one of them look like a duplicate.
func (shopifyVerifier) EventID(h http.Header, _ []byte) string {
	for _, name := range shopifyEventIDHeaders {
		if id := h.Get(name); id != "" {
			return id
		}
	}
	return ""
}

func (shopifyVerifier) Sign(body, secret []byte, _ time.Time) http.Header {
	h := make(http.Header)
	h.Set(shopifyHeaders[0], base64.StdEncoding.EncodeToString(sha256Algorithm.mac(secret, body)))
	h.Set(shopifyEventIDHeaders[0], newEventID())
	return h
}
