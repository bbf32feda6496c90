package logging

import "testing"

func TestIsSecretKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want bool
	}{
		{"password", true},
		{"Password", true},
		{"db_pass", true},
		{"pwd", true},
		{"secret", true},
		{"client_secret", true},
		{"clientSecret", true},
		{"webhook-secret", true},
		{"token", true},
		{"access_token", true},
		{"refreshToken", true},
		{"id_token", true},
		{"tokens", true},
		{"api_key", true},
		{"apiKey", true},
		{"APIKey", true},
		{"apikey", true},
		{"x-api-key", true},
		{"X-API-KEY", true},
		{"private_key", true},
		{"authorization", true},
		{"Proxy-Authorization", true},
		{"cookie", true},
		{"Set-Cookie", true},
		{"credentials", true},
		{"signature", true},
		{"X-Hub-Signature-256", true},
		{"sig", true},
		{"jwt", true},

		{"", false},
		{"key", false},
		{"auth", false},
		{"action_key", false},
		{"name", false},
		{"email", false},
		{"author", false},
		{"signal", false},
		{"design", false},
		{"passenger", false},
		{"token_type", false},
		{"tokenURL", false},
		{"api_key_header", false},
		{"signature_algorithm", false},
		{"access_key_id", false},
		{"expires_in", false},
	}
	for _, tt := range tests {
		if got := IsSecretKey(tt.name); got != tt.want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", tt.name, got, tt.want)
		}
		if got := isSecretKey([]byte(tt.name)); got != tt.want {
			t.Errorf("isSecretKey([]byte(%q)) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
