package signature

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const stripeHeader = "Stripe-Signature"

// stripeVerifier checks Stripe's scheme: the header
// "t=<unix>,v1=<hex>[,v1=<hex>…][,v0=<hex>]" where each v1 is the hex
// HMAC-SHA256 of "<t>.<body>". Stripe sends one v1 per active endpoint secret
// while a secret is being rolled, so any v1 matching any secret passes. The
// v0 entry exists only for test-mode legacy signatures and is ignored, as
// Stripe's own libraries do.
type stripeVerifier struct {
	tolerance time.Duration
}

func (v stripeVerifier) Verify(h http.Header, body []byte, secrets [][]byte, now time.Time) error {
	items := listItems(h, stripeHeader)
	if len(items) == 0 {
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, stripeHeader)
	}
	var timestamp string
	var sigs [][]byte
	sawV1 := false
	for _, item := range items {
		key, value, _ := strings.Cut(item, "=")
		switch key {
		case "t":
			if timestamp != "" {
				return fmt.Errorf("%w: %s has more than one timestamp", ErrBadSignature, stripeHeader)
			}
			timestamp = value
		case "v1":
			sawV1 = true
			if sig, ok := decodeHex(value, sha256Algorithm.size); ok {
				sigs = append(sigs, sig)
			}
		}
	}
	if timestamp == "" {
		return fmt.Errorf("%w: %s has no timestamp", ErrMissingSignature, stripeHeader)
	}
	if !sawV1 {
		return fmt.Errorf("%w: %s has no v1 signature", ErrMissingSignature, stripeHeader)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: %s has no well-formed v1 signature", ErrBadSignature, stripeHeader)
	}
	signed, err := parseTimestamp(timestamp)
	if err != nil {
		return err
	}
	if err := sha256Algorithm.verify(secrets, sigs, []byte(timestamp), dot, body); err != nil {
		return err
	}
	return checkTimestamp(signed, now, v.tolerance)
}

// EventID returns the event's "id" ("evt_…"): Stripe carries no delivery id in
// its headers, and a retried delivery repeats the same event object.
func (stripeVerifier) EventID(_ http.Header, body []byte) string {
	var event struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &event) != nil {
		return ""
	}
	return event.ID
}

func (stripeVerifier) Sign(body, secret []byte, now time.Time) http.Header {
	timestamp := unixString(now)
	sig := sha256Algorithm.mac(secret, []byte(timestamp), dot, body)
	h := make(http.Header)
	h.Set(stripeHeader, "t="+timestamp+",v1="+hex.EncodeToString(sig))
	return h
}

var dot = []byte(".")
