package logging

import (
	"net/http"
	"reflect"
	"testing"
)

func TestRedactHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value, want string
	}{
		{"Authorization", "Bearer sk_live_abc123", "Bearer [REDACTED]"},
		{"Authorization", "Basic dXNlcjpwYXNz", "Basic [REDACTED]"},
		{"Authorization", "sk_live_abc123", "[REDACTED]"},
		{"Authorization", "sk_live_abc 123", "[REDACTED]"},
		{"Proxy-Authorization", "Basic dXNlcjpwYXNz", "Basic [REDACTED]"},
		{"Cookie", "session=abc", "[REDACTED]"},
		{"Set-Cookie", "session=abc; Path=/; HttpOnly", "[REDACTED]"},
		{"X-Api-Key", "abc123", "[REDACTED]"},
		{"X-Shopify-Hmac-Sha256", "abc=", "[REDACTED]"},
		{"X-Hub-Signature-256", "sha256=abc", "[REDACTED]"},
		{"Stripe-Signature", "t=1,v1=abc", "[REDACTED]"},
		{"X-Auth-Token", "abc123", "[REDACTED]"},
		{"X-Webhook-Secret", "abc123", "[REDACTED]"},
		{"Content-Type", "application/json", "application/json"},
		{"User-Agent", "plugboard", "plugboard"},
	}
	for _, tt := range tests {
		in := http.Header{}
		in.Add(tt.name, tt.value)
		in.Add(tt.name, tt.value)
		got := RedactHeaders(in)
		if want := []string{tt.want, tt.want}; !reflect.DeepEqual(got.Values(tt.name), want) {
			t.Errorf("%s: %q → %q, want %q", tt.name, tt.value, got.Values(tt.name), want)
		}
		if in.Get(tt.name) != tt.value {
			t.Errorf("%s: RedactHeaders modified its input", tt.name)
		}
	}
	if RedactHeaders(nil) != nil {
		t.Error("RedactHeaders(nil) is not nil")
	}
}
