package executor

import (
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/outbound"
)

// What is logged and shown hides the key header, credential headers and
// echoed secrets, and never changes the headers it was given: they are the
// request that was sent and the answer the API gave.
func TestMaskedHeadersLeaveTheOriginalAlone(t *testing.T) {
	t.Parallel()
	auth := connector.Auth{Type: connector.AuthAPIKey, Location: "header", Key: "X-Crm-Key"}
	sent := http.Header{
		"X-Crm-Key":     {"k-123456"},
		"Authorization": {"Bearer tok-987"},
		"X-Echo":        {"saw k-123456 here"},
		"Accept":        {"application/json"},
	}
	before := sent.Clone()
	masked := maskHeaders(sent, auth, []string{"k-123456"})
	for name, want := range map[string]string{
		"X-Crm-Key": "[REDACTED]", "Authorization": "Bearer [REDACTED]", "X-Echo": "saw [REDACTED] here", "Accept": "application/json",
	} {
		if got := masked.Get(name); got != want {
			t.Errorf("masked %s = %q, want %q", name, got, want)
		}
	}
	for name, vals := range before {
		if got := sent[name]; strings.Join(got, ",") != strings.Join(vals, ",") {
			t.Errorf("maskHeaders changed the sent %s from %q to %q", name, vals, got)
		}
	}

	answer := &outbound.Response{Status: 200, Header: http.Header{"X-Echo": {"k-123456"}, "Content-Type": {"application/json"}},
		Body: []byte(`{"key":"k-123456","ok":true}`)}
	shown := withoutSecrets(answer, []string{"k-123456"})
	if shown.Header.Get("X-Echo") != "[REDACTED]" || strings.Contains(string(shown.Body), "k-123456") {
		t.Errorf("the caller is shown the echoed key: %v %s", shown.Header, shown.Body)
	}
	if answer.Header.Get("X-Echo") != "k-123456" || !strings.Contains(string(answer.Body), "k-123456") {
		t.Errorf("withoutSecrets changed the API's answer: %v %s", answer.Header, answer.Body)
	}
	quiet := &outbound.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`)}
	if got := withoutSecrets(quiet, []string{"k-123456"}); got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("an answer without secrets lost its headers: %v", got.Header)
	}
}
