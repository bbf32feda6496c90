package signature

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// hmacVerifier checks the generic scheme many smaller providers use: one
// header holding an optional prefix and the hex or base64 HMAC of the body.
// Nothing else is signed, so there is no timestamp and replays are caught
// only by the optional event-id header.
type hmacVerifier struct {
	algorithm     algorithm
	base64        bool
	header        string
	prefix        string
	eventIDHeader string
}

// newHMACVerifier builds the verifier from options already defaulted and validated.
func newHMACVerifier(opts Options) hmacVerifier {
	return hmacVerifier{
		algorithm:     algorithms[opts.Algorithm],
		base64:        opts.Encoding == "base64",
		header:        opts.Header,
		prefix:        opts.Prefix,
		eventIDHeader: opts.EventIDHeader,
	}
}

func (v hmacVerifier) Verify(h http.Header, body []byte, secrets [][]byte, _ time.Time) error {
	items := listItems(h, v.header)
	if len(items) == 0 {
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, v.header)
	}
	var sigs [][]byte
	for _, item := range items {
		encoded, ok := strings.CutPrefix(item, v.prefix)
		if !ok {
			continue
		}
		if sig, ok := v.decode(encoded); ok {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: %s holds no signature of the configured form", ErrBadSignature, v.header)
	}
	return v.algorithm.verify(secrets, sigs, body)
}

func (v hmacVerifier) EventID(h http.Header, _ []byte) string {
	if v.eventIDHeader == "" {
		return ""
	}
	return h.Get(v.eventIDHeader)
}

func (v hmacVerifier) Sign(body, secret []byte, _ time.Time) http.Header {
	sig := v.algorithm.mac(secret, body)
	h := make(http.Header)
	h.Set(v.header, v.prefix+v.encode(sig))
	if v.eventIDHeader != "" {
		h.Set(v.eventIDHeader, newEventID())
	}
	return h
}

func (v hmacVerifier) decode(s string) ([]byte, bool) {
	if v.base64 {
		return decodeBase64(s, v.algorithm.size)
	}
	return decodeHex(s, v.algorithm.size)
}

func (v hmacVerifier) encode(sig []byte) string {
	if v.base64 {
		return base64.StdEncoding.EncodeToString(sig)
	}
	return hex.EncodeToString(sig)
}
