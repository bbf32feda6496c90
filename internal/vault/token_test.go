package vault

import (
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix  string
		nbytes  int
		wantLen int // characters after the prefix
	}{
		{"pb_live_", 24, 33},
		{"whsec_", 32, 43},
		{"", 16, 22},
		{"short_", 4, 22}, // raised to 16 bytes
	}
	for _, tt := range tests {
		seen := make(map[string]bool)
		for range 50 {
			tok := NewToken(tt.prefix, tt.nbytes)
			body, ok := strings.CutPrefix(tok, tt.prefix)
			if !ok || len(body) != tt.wantLen {
				t.Fatalf("NewToken(%q, %d) = %q, want the prefix and %d characters", tt.prefix, tt.nbytes, tok, tt.wantLen)
			}
			if strings.Trim(body, base62) != "" {
				t.Fatalf("token %q has characters outside base62", tok)
			}
			if seen[tok] {
				t.Fatalf("NewToken repeated %q", tok)
			}
			seen[tok] = true
		}
	}
}

func TestHashToken(t *testing.T) {
	t.Parallel()
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := HashToken("abc"); got != abc {
		t.Fatalf("HashToken(abc) = %s, want %s", got, abc)
	}
	tok := NewToken("pb_live_", 24)
	if !EqualHash(HashToken(tok), HashToken(tok)) {
		t.Fatal("EqualHash is false for the same token")
	}
	if EqualHash(HashToken(tok), HashToken(tok+"x")) || EqualHash(HashToken(tok), "") {
		t.Fatal("EqualHash is true for different hashes")
	}
}
