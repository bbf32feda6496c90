package signature

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Source names, as stored on a webhook and accepted by the REST API.
const (
	SourceStripe   = "stripe"
	SourceGitHub   = "github"
	SourceSlack    = "slack"
	SourceShopify  = "shopify"
	SourceStandard = "standard"
	SourceHMAC     = "hmac"
)

// DefaultTolerance is how far a signed timestamp may be from the receiver's
// clock, in either direction, when Options.Tolerance is zero. It matches what
// Stripe, Slack and Standard Webhooks recommend.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify, always wrapped with a short reason that never
// contains a signature value. Match them with errors.Is.
var (
	// ErrMissingSignature means the request lacks a header the scheme needs.
	ErrMissingSignature = errors.New("missing signature")
	// ErrBadSignature means the signature is malformed or matches none of the secrets.
	ErrBadSignature = errors.New("bad signature")
	// ErrTimestampTooOld means a genuine signature was made longer ago than the
	// tolerance allows: most likely a replay.
	ErrTimestampTooOld = errors.New("signature timestamp too old")
	// ErrTimestampInFuture means a genuine signature carries a timestamp further
	// ahead than the tolerance allows.
	ErrTimestampInFuture = errors.New("signature timestamp in the future")
)

// Verifier checks and produces the signatures of one source preset. It holds
// configuration only: secrets are passed to each call, so one Verifier can
// serve every webhook of its kind. It is safe for concurrent use.
type Verifier interface {
	// Verify checks the signature over the raw body with any of the secrets
	// (several during a rotation grace period). Secrets are the bytes returned
	// by DecodeSecret; empty ones are ignored. For timestamped schemes the
	// timestamp must lie within the tolerance of now. The error wraps one of
	// the package's sentinel errors.
	Verify(h http.Header, body []byte, secrets [][]byte, now time.Time) error

	// EventID returns the provider's delivery or event id, used to drop
	// duplicate deliveries, or "" when the request carries none.
	EventID(h http.Header, body []byte) string

	// Sign returns the headers a genuine sender would set for body at time now,
	// including a fresh random event id where the scheme carries one in a
	// header. It is used to send test events through the full ingest path.
	Sign(body []byte, secret []byte, now time.Time) http.Header
}

// Options tunes a Verifier. The zero value suits every preset; the fields
// other than Tolerance configure the generic "hmac" source only and are
// rejected for the others, so that a setting never silently does nothing.
type Options struct {
	// Algorithm is the HMAC hash: "sha256", "sha1" or "sha512".
	// Defaults to "sha256".
	Algorithm string
	// Encoding is how the signature is written: "hex" or "base64".
	// Defaults to "hex".
	Encoding string
	// Header is the request header that carries the signature.
	// Defaults to "X-Signature".
	Header string
	// Prefix precedes the encoded signature in the header, for example
	// "sha256=". Defaults to none.
	Prefix string
	// EventIDHeader names the header carrying the sender's delivery id.
	// Defaults to none, in which case EventID returns "".
	EventIDHeader string
	// Tolerance bounds the clock difference accepted for timestamped schemes
	// (stripe, slack, standard); the others carry no timestamp.
	// Defaults to DefaultTolerance.
	Tolerance time.Duration
}

// Sources returns the source names New accepts, in a stable order.
func Sources() []string {
	return []string{SourceStripe, SourceGitHub, SourceSlack, SourceShopify, SourceStandard, SourceHMAC}
}

// New returns the Verifier for source configured by opts. An unknown source or
// an invalid option is an error naming the allowed values.
func New(source string, opts Options) (Verifier, error) {
	if err := checkSource(source); err != nil {
		return nil, err
	}
	opts = opts.withDefaults(source)
	if err := opts.validate(source); err != nil {
		return nil, err
	}
	switch source {
	case SourceStripe:
		return stripeVerifier{tolerance: opts.Tolerance}, nil
	case SourceGitHub:
		return githubVerifier{}, nil
	case SourceSlack:
		return slackVerifier{tolerance: opts.Tolerance}, nil
	case SourceShopify:
		return shopifyVerifier{}, nil
	case SourceStandard:
		return standardVerifier{tolerance: opts.Tolerance}, nil
	default:
		return newHMACVerifier(opts), nil
	}
}

// DecodeSecret turns a secret as the user pastes it into the key bytes that
// Verify and Sign expect. Standard Webhooks secrets are "whsec_" followed by
// base64 and the key is the decoded bytes; every other provider uses the
// secret string itself as the key, "whsec_" prefix included (as Stripe does).
func DecodeSecret(source, secret string) ([]byte, error) {
	if err := checkSource(source); err != nil {
		return nil, err
	}
	if secret == "" {
		return nil, errors.New("decode secret: secret is empty")
	}
	if source != SourceStandard {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, standardSecretPrefix))
	if err != nil {
		return nil, fmt.Errorf("decode secret: a standard webhooks secret is %q followed by base64", standardSecretPrefix)
	}
	if len(key) == 0 {
		return nil, errors.New("decode secret: secret is empty")
	}
	return key, nil
}

// GenerateSecret returns a new random secret for source, for webhooks whose
// secret Plugboard chooses and the sender is then configured with. Both forms
// carry 256 random bits: Standard Webhooks secrets are "whsec_" plus base64 as
// the specification requires; the others are "whsec_" plus hex, which survives
// any form field or shell it is pasted into.
func GenerateSecret(source string) string {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never returns an error.
	if source == SourceStandard {
		return standardSecretPrefix + base64.StdEncoding.EncodeToString(key)
	}
	return standardSecretPrefix + hex.EncodeToString(key)
}

func checkSource(source string) error {
	for _, s := range Sources() {
		if s == source {
			return nil
		}
	}
	return fmt.Errorf("unknown webhook source %q: use one of %s", source, strings.Join(Sources(), ", "))
}

func (o Options) withDefaults(source string) Options {
	if o.Tolerance == 0 {
		o.Tolerance = DefaultTolerance
	}
	if source != SourceHMAC {
		return o
	}
	if o.Algorithm == "" {
		o.Algorithm = "sha256"
	}
	if o.Encoding == "" {
		o.Encoding = "hex"
	}
	if o.Header == "" {
		o.Header = "X-Signature"
	}
	return o
}

func (o Options) validate(source string) error {
	if o.Tolerance < 0 {
		return fmt.Errorf("option Tolerance must be positive, got %s", o.Tolerance)
	}
	if source != SourceHMAC {
		for _, f := range []struct{ name, value string }{
			{"Algorithm", o.Algorithm}, {"Encoding", o.Encoding}, {"Header", o.Header},
			{"Prefix", o.Prefix}, {"EventIDHeader", o.EventIDHeader},
		} {
			if f.value != "" {
				return fmt.Errorf("option %s applies only to source %q, not %q", f.name, SourceHMAC, source)
			}
		}
		return nil
	}
	if _, ok := algorithms[o.Algorithm]; !ok {
		return fmt.Errorf("option Algorithm %q is not supported: use sha256, sha1 or sha512", o.Algorithm)
	}
	if o.Encoding != "hex" && o.Encoding != "base64" {
		return fmt.Errorf("option Encoding %q is not supported: use hex or base64", o.Encoding)
	}
	// Header values are read as comma-separated lists so that one request may
	// carry several signatures; a prefix holding a comma or space would be cut.
	if strings.ContainsAny(o.Prefix, ", \t") {
		return fmt.Errorf("option Prefix %q must not contain commas or spaces", o.Prefix)
	}
	if !validHeaderName(o.Header) {
		return fmt.Errorf("option Header %q is not a valid HTTP header name", o.Header)
	}
	if o.EventIDHeader != "" && !validHeaderName(o.EventIDHeader) {
		return fmt.Errorf("option EventIDHeader %q is not a valid HTTP header name", o.EventIDHeader)
	}
	return nil
}

// validHeaderName reports whether s is an RFC 9110 token, which every header
// name must be.
func validHeaderName(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}
