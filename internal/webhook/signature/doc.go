// Package signature verifies that an incoming webhook was sent by the source
// it claims, before the event is stored.
//
// Each webhook names a source preset: "stripe", "github", "slack", "shopify",
// "standard" (Standard Webhooks and Svix) or "hmac" (a body-only HMAC whose
// header, prefix, hash and encoding are configurable). New returns the
// Verifier for a preset; Sources lists them.
//
// A Verifier works on the raw request body exactly as received: any decoding
// and re-encoding of JSON would change the bytes that were signed. It accepts
// several secrets at once so that a secret can be rotated without dropping
// deliveries: during the grace period the old and the new secret both pass.
// Secrets are passed as the key bytes returned by DecodeSecret, which knows
// that a Standard Webhooks "whsec_" secret is base64 while the other providers
// use the secret string itself.
//
// Verify returns an error wrapping ErrMissingSignature, ErrBadSignature,
// ErrTimestampTooOld or ErrTimestampInFuture, with a reason fit for logs and
// for the sender: no error ever contains the expected signature. Signatures
// are compared in constant time.
//
// Replay protection comes in two halves. Schemes that sign a timestamp
// (stripe, slack, standard) reject signatures older or newer than the
// tolerance, five minutes by default. Within that window, and for schemes
// without a timestamp, EventID returns the provider's delivery id so that the
// ingest path can drop a delivery it has already stored.
//
// Sign produces the headers a genuine sender would set, so that a test event
// can be sent through the same path as a real one and verified like it.
//
// A few choices differ from what a reader might assume. GitHub deliveries
// are checked with X-Hub-Signature-256 only: the legacy SHA-1 X-Hub-Signature
// that GitHub still sends is ignored, as its documentation advises. For
// Shopify, EventID prefers X-Shopify-Webhook-Id (repeated by retries) over
// X-Shopify-Event-Id (shared by every subscription's copy of an event). Stripe
// and Slack carry their ids in the JSON body ("id" and "event_id"). Stripe's
// v0 signatures are ignored, as Stripe's own libraries do.
//
// For the single-signature schemes (github, slack, shopify, hmac) the
// signature header is read as an RFC 9110 list: a sender may repeat the
// header or join values with commas, and the request passes when any one of
// them is valid.
package signature
