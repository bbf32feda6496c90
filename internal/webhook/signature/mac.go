package signature

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// algorithm is a hash for HMAC together with its output size, which bounds
// how long a candidate signature may be before it is even decoded.
type algorithm struct {
	size  int
	pools *macPools
}

var algorithms = map[string]algorithm{
	"sha1":   {sha1.Size, newMACPools(sha1.New)},
	"sha256": {sha256.Size, newMACPools(sha256.New)},
	"sha512": {sha512.Size, newMACPools(sha512.New)},
}

var sha256Algorithm = algorithms["sha256"]

// mac returns the HMAC under secret of the concatenation of parts.
func (a algorithm) mac(secret []byte, parts ...[]byte) []byte {
	m := a.pools.get(secret)
	defer a.pools.put(m)
	return append([]byte(nil), m.sum(parts)...)
}

// verify returns nil when one of sigs is the HMAC of parts under one of the
// non-empty secrets. Comparisons use hmac.Equal so that the time taken tells
// nothing about the expected value.
func (a algorithm) verify(secrets, sigs [][]byte, parts ...[]byte) error {
	tried := false
	for _, secret := range secrets {
		// An empty key would make the signature forgeable by anyone.
		if len(secret) == 0 {
			continue
		}
		tried = true
		m := a.pools.get(secret)
		expected := m.sum(parts)
		matched := false
		for _, sig := range sigs {
			matched = matched || hmac.Equal(expected, sig)
		}
		a.pools.put(m)
		if matched {
			return nil
		}
	}
	if !tried {
		return fmt.Errorf("%w: no secret is configured", ErrBadSignature)
	}
	return fmt.Errorf("%w: no signature matches any secret", ErrBadSignature)
}

// listItems returns the non-empty elements of the comma-separated list formed
// by every value of header name: RFC 9110 lets a sender repeat a list header
// or join its values with commas, and both mean the same.
func listItems(h http.Header, name string) []string {
	var items []string
	for _, value := range h.Values(name) {
		for item := range strings.SplitSeq(value, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
	}
	return items
}

// decodeHex decodes a hex signature of size bytes, reporting false for
// anything else so that malformed candidates are skipped rather than fatal.
func decodeHex(s string, size int) ([]byte, bool) {
	if len(s) != hex.EncodedLen(size) {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// decodeBase64 decodes a padded standard base64 signature of size bytes.
func decodeBase64(s string, size int) ([]byte, bool) {
	if len(s) != base64.StdEncoding.EncodedLen(size) {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}

// parseTimestamp reads a Unix time in seconds as the timestamped schemes send it.
func parseTimestamp(s string) (time.Time, error) {
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamp is not Unix seconds", ErrBadSignature)
	}
	return time.Unix(sec, 0), nil
}

// checkTimestamp bounds the age of a genuine signature, which is what stops a
// captured request from being replayed later. It runs after the signature
// check so that a forged request is reported as forged, not as stale.
func checkTimestamp(signed, now time.Time, tolerance time.Duration) error {
	age := now.Sub(signed)
	switch {
	case age > tolerance:
		return fmt.Errorf("%w: signed %s ago, tolerance is %s", ErrTimestampTooOld, age.Truncate(time.Second), tolerance)
	case age < -tolerance:
		return fmt.Errorf("%w: signed %s ahead, tolerance is %s", ErrTimestampInFuture, -age.Truncate(time.Second), tolerance)
	}
	return nil
}

// newEventID returns a random delivery id for signed test events, so that two
// test sends are never mistaken for a duplicate delivery.
func newEventID() string {
	return rand.Text()
}

// unixString formats now as the timestamped schemes send it.
func unixString(now time.Time) string {
	return strconv.FormatInt(now.Unix(), 10)
}
