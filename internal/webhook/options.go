package webhook

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/trigger"
	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// Options tune a source preset. Tolerance applies to the timestamped
// presets (stripe, slack, standard); the other fields configure "hmac".
type Options struct {
	Algorithm     string           `json:"algorithm,omitempty"`       // sha256 (default), sha1, sha512
	Encoding      string           `json:"encoding,omitempty"`        // hex (default) or base64
	Header        string           `json:"header,omitempty"`          // default X-Signature
	Prefix        string           `json:"prefix,omitempty"`          // e.g. "sha256="
	EventIDHeader string           `json:"event_id_header,omitempty"` // delivery id, for dedupe
	Tolerance     trigger.Duration `json:"tolerance,omitempty"`       // default 5m
}

func (o Options) signature() signature.Options {
	return signature.Options{Algorithm: o.Algorithm, Encoding: o.Encoding, Header: o.Header, Prefix: o.Prefix,
		EventIDHeader: o.EventIDHeader, Tolerance: time.Duration(o.Tolerance)}
}

func parseOptions(raw json.RawMessage) (Options, error) {
	var o Options
	if len(raw) == 0 {
		return o, nil
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return o, fmt.Errorf("options: %w", err)
	}
	return o, nil
}
