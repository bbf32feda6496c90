package logging

import "testing"

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		keys []string
		want string
	}{
		{"plain", "https://api.example.com/v1/contacts?limit=10", nil,
			"https://api.example.com/v1/contacts?limit=10"},
		{"password", "https://user:hunter2@example.com/x", nil,
			"https://user:[REDACTED]@example.com/x"},
		{"database url", "postgres://plugboard:s3cr3t@db:5432/plugboard?sslmode=disable", nil,
			"postgres://plugboard:[REDACTED]@db:5432/plugboard?sslmode=disable"},
		{"token as user", "https://ghp_abc123@github.com/org/repo.git", nil,
			"https://[REDACTED]@github.com/org/repo.git"},
		{"secret-looking params", "https://x.test/cb?api_key=abc&access_token=def&page=2", nil,
			"https://x.test/cb?api_key=[REDACTED]&access_token=[REDACTED]&page=2"},
		{"named params", "https://x.test/cb?code=abc&state=xyz&scope=read", []string{"code", "STATE"},
			"https://x.test/cb?code=[REDACTED]&state=[REDACTED]&scope=read"},
		{"escaped name", "https://x.test/?api%5Fkey=abc", nil,
			"https://x.test/?api%5Fkey=[REDACTED]"},
		{"encoding kept", "https://x.test/?q=a%20b&token=x%2By", nil,
			"https://x.test/?q=a%20b&token=[REDACTED]"},
		{"empty value", "https://x.test/?token=&a=1", nil,
			"https://x.test/?token=&a=1"},
		{"fragment", "https://app.test/cb#access_token=abc&token_type=bearer", nil,
			"https://app.test/cb#access_token=[REDACTED]&token_type=bearer"},
		{"signed url", "https://bucket.test/o?X-Amz-Signature=abc&X-Amz-Expires=60&sig=def", nil,
			"https://bucket.test/o?X-Amz-Signature=[REDACTED]&X-Amz-Expires=60&sig=[REDACTED]"},
		{"relative", "/hooks/abc?token=x", nil, "/hooks/abc?token=[REDACTED]"},
		{"unparseable", "https://user:pw@host:port/%zz", nil, "[REDACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := RedactURL(tt.in, tt.keys...); got != tt.want {
				t.Errorf("RedactURL(%q) =\n %q, want\n %q", tt.in, got, tt.want)
			}
		})
	}
}
