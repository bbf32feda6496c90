package signature_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// RFC 4231 test case 2 (HMAC-SHA-256 and HMAC-SHA-512) and RFC 2202 test
// case 2 (HMAC-SHA-1) share this key and data.
const (
	rfcKey  = "Jefe"
	rfcData = "what do ya want for nothing?"
)

func TestHMACPublishedVectors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts signature.Options
		sig  string
	}{
		{"sha256 hex, the defaults", signature.Options{},
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"sha256 hex upper case", signature.Options{},
			"5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"},
		{"sha256 base64", signature.Options{Encoding: "base64"},
			"W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="},
		{"sha1 hex with prefix", signature.Options{Algorithm: "sha1", Prefix: "sha1="},
			"sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
		{"sha512 hex in a custom header", signature.Options{Algorithm: "sha512", Header: "X-Custom-Sig"},
			"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	}
	for _, c := range cases {
		v := mustNew(t, "hmac", c.opts)
		header := c.opts.Header
		if header == "" {
			header = "X-Signature"
		}
		h := http.Header{}
		h.Set(header, c.sig)
		if err := v.Verify(h, []byte(rfcData), [][]byte{[]byte(rfcKey)}, testNow); err != nil {
			t.Errorf("%s: Verify = %v", c.name, err)
		}
	}
}

func TestHMACRejectsOtherForms(t *testing.T) {
	t.Parallel()
	const sha256Hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	cases := []struct {
		name string
		opts signature.Options
		sig  string
	}{
		{"missing prefix", signature.Options{Prefix: "sha256="}, sha256Hex},
		{"hex where base64 is configured", signature.Options{Encoding: "base64"}, sha256Hex},
		{"sha256 where sha512 is configured", signature.Options{Algorithm: "sha512"}, sha256Hex},
		{"truncated", signature.Options{}, sha256Hex[:40]},
	}
	for _, c := range cases {
		v := mustNew(t, "hmac", c.opts)
		h := http.Header{"X-Signature": {c.sig}}
		if err := v.Verify(h, []byte(rfcData), [][]byte{[]byte(rfcKey)}, testNow); !errors.Is(err, signature.ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want ErrBadSignature", c.name, err)
		}
	}
}

func TestHMACEventIDHeader(t *testing.T) {
	t.Parallel()
	h := http.Header{"X-Delivery": {"d-42"}}
	if got := mustNew(t, "hmac", signature.Options{EventIDHeader: "X-Delivery"}).EventID(h, nil); got != "d-42" {
		t.Errorf("EventID = %q, want d-42", got)
	}
	if got := mustNew(t, "hmac", signature.Options{}).EventID(h, nil); got != "" {
		t.Errorf("EventID without EventIDHeader = %q, want none", got)
	}
}
