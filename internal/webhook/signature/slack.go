package signature

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	slackHeader          = "X-Slack-Signature"
	slackTimestampHeader = "X-Slack-Request-Timestamp"
	slackVersion         = "v0"
)

// slackVerifier checks Slack's scheme: "X-Slack-Signature: v0=<hex>", the
// HMAC-SHA256 of "v0:<timestamp>:<body>" under the app's signing secret, with
// the timestamp in X-Slack-Request-Timestamp.
type slackVerifier struct {
	tolerance time.Duration
}

func (v slackVerifier) Verify(h http.Header, body []byte, secrets [][]byte, now time.Time) error {
	items := listItems(h, slackHeader)
	if len(items) == 0 {
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, slackHeader)
	}
	timestamp := h.Get(slackTimestampHeader)
	if timestamp == "" {
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, slackTimestampHeader)
	}
	signed, err := parseTimestamp(timestamp)
	if err != nil {
		return err
	}
	var sigs [][]byte
	for _, item := range items {
		value, ok := strings.CutPrefix(item, slackVersion+"=")
		if !ok {
			continue
		}
		if sig, ok := decodeHex(value, sha256Algorithm.size); ok {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: %s holds no %s=<hex> signature", ErrBadSignature, slackHeader, slackVersion)
	}
	if err := sha256Algorithm.verify(secrets, sigs, slackBase(timestamp), body); err != nil {
		return err
	}
	return checkTimestamp(signed, now, v.tolerance)
}

// EventID returns the Events API envelope's "event_id", which Slack keeps
// across retries. Slash commands and interactive payloads are form-encoded and
// carry no such id, so they get "".
func (slackVerifier) EventID(_ http.Header, body []byte) string {
	var envelope struct {
		EventID string `json:"event_id"`
	}
	if json.Unmarshal(body, &envelope) != nil {
		return ""
	}
	return envelope.EventID
}

func (slackVerifier) Sign(body, secret []byte, now time.Time) http.Header {
	timestamp := unixString(now)
	sig := sha256Algorithm.mac(secret, slackBase(timestamp), body)
	h := make(http.Header)
	h.Set(slackHeader, slackVersion+"="+hex.EncodeToString(sig))
	h.Set(slackTimestampHeader, timestamp)
	return h
}

// slackBase is the signed content that precedes the body: "v0:<timestamp>:".
func slackBase(timestamp string) []byte {
	return []byte(slackVersion + ":" + timestamp + ":")
}
