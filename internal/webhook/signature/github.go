package signature

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	githubHeader         = "X-Hub-Signature-256"
	githubPrefix         = "sha256="
	githubDeliveryHeader = "X-GitHub-Delivery"
)

// githubVerifier checks GitHub's scheme: "X-Hub-Signature-256: sha256=<hex>",
// the HMAC-SHA256 of the body. GitHub also sends the legacy SHA-1 header
// X-Hub-Signature on every delivery, but its documentation asks receivers to
// use the SHA-256 one, so the SHA-1 header is never consulted: accepting it
// would only let a request through on the weaker hash. GitHub signs no
// timestamp, so redelivery is caught by the delivery id instead.
type githubVerifier struct{}

func (githubVerifier) Verify(h http.Header, body []byte, secrets [][]byte, _ time.Time) error {
	items := listItems(h, githubHeader)
	if len(items) == 0 {
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, githubHeader)
	}
	var sigs [][]byte
	for _, item := range items {
		value, ok := strings.CutPrefix(item, githubPrefix)
		if !ok {
			continue
		}
		if sig, ok := decodeHex(value, sha256Algorithm.size); ok {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: %s holds no %s<hex> signature", ErrBadSignature, githubHeader, githubPrefix)
	}
	return sha256Algorithm.verify(secrets, sigs, body)
}

// EventID returns X-GitHub-Delivery, a GUID that a redelivery repeats.
func (githubVerifier) EventID(h http.Header, _ []byte) string {
	return h.Get(githubDeliveryHeader)
}

func (githubVerifier) Sign(body, secret []byte, _ time.Time) http.Header {
	h := make(http.Header)
	h.Set(githubHeader, githubPrefix+hex.EncodeToString(sha256Algorithm.mac(secret, body)))
	h.Set(githubDeliveryHeader, newEventID())
	return h
}
