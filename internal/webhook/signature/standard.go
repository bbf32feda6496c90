package signature

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	standardSecretPrefix = "whsec_"
	standardVersion      = "v1"
)

// standardHeaders names the three headers of the scheme. Svix, which the
// Standard Webhooks specification grew out of, sends the same values under
// svix- names.
type standardHeaders struct {
	id, timestamp, signature string
}

var (
	standardNames = standardHeaders{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}
	svixNames     = standardHeaders{"Svix-Id", "Svix-Timestamp", "Svix-Signature"}
)

// standardVerifier checks the Standard Webhooks scheme: webhook-signature
// holds space-separated "v1,<base64>" entries, each the HMAC-SHA256 of
// "<webhook-id>.<webhook-timestamp>.<body>" under the base64-decoded
// "whsec_" secret. Entries of other versions (such as the asymmetric
// "v1a") are skipped.
type standardVerifier struct {
	tolerance time.Duration
}

func (v standardVerifier) Verify(h http.Header, body []byte, secrets [][]byte, now time.Time) error {
	names := standardNames
	if h.Get(names.signature) == "" {
		names = svixNames
	}
	signatures := h.Values(names.signature)
	if len(signatures) == 0 {
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, standardNames.signature)
	}
	id, timestamp := h.Get(names.id), h.Get(names.timestamp)
	if id == "" || timestamp == "" {
		return fmt.Errorf("%w: %s and %s are required", ErrMissingSignature, names.id, names.timestamp)
	}
	signed, err := parseTimestamp(timestamp)
	if err != nil {
		return err
	}
	var sigs [][]byte
	for _, value := range signatures {
		for _, entry := range strings.Fields(value) {
			version, encoded, ok := strings.Cut(entry, ",")
			if !ok || version != standardVersion {
				continue
			}
			if sig, ok := decodeBase64(encoded, sha256Algorithm.size); ok {
				sigs = append(sigs, sig)
			}
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: %s holds no %s,<base64> signature", ErrBadSignature, names.signature, standardVersion)
	}
	if err := sha256Algorithm.verify(secrets, sigs, standardBase(id, timestamp), body); err != nil {
		return err
	}
	return checkTimestamp(signed, now, v.tolerance)
}

// EventID returns webhook-id (or svix-id), which the specification requires
// to stay the same when a message is retried.
func (standardVerifier) EventID(h http.Header, _ []byte) string {
	if id := h.Get(standardNames.id); id != "" {
		return id
	}
	return h.Get(svixNames.id)
}

func (standardVerifier) Sign(body, secret []byte, now time.Time) http.Header {
	id, timestamp := "msg_"+newEventID(), unixString(now)
	sig := sha256Algorithm.mac(secret, standardBase(id, timestamp), body)
	h := make(http.Header)
	h.Set(standardNames.id, id)
	h.Set(standardNames.timestamp, timestamp)
	h.Set(standardNames.signature, standardVersion+","+base64.StdEncoding.EncodeToString(sig))
	return h
}

// standardBase is the signed content that precedes the body: "<id>.<timestamp>.".
func standardBase(id, timestamp string) []byte {
	return []byte(id + "." + timestamp + ".")
}
