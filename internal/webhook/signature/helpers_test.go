package signature_test

import (
	"encoding/hex"
	"testing"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

func mustNew(t *testing.T, source string, opts signature.Options) signature.Verifier {
	t.Helper()
	v, err := signature.New(source, opts)
	if err != nil {
		t.Fatalf("New(%q): %v", source, err)
	}
	return v
}

func mustDecode(t *testing.T, source, secret string) []byte {
	t.Helper()
	k, err := signature.DecodeSecret(source, secret)
	if err != nil {
		t.Fatalf("DecodeSecret(%q): %v", source, err)
	}
	return k
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// key returns a fresh secret for source as the ingest path would hold it.
func key(t *testing.T, source string) []byte {
	t.Helper()
	k, err := signature.DecodeSecret(source, signature.GenerateSecret(source))
	if err != nil {
		t.Fatalf("DecodeSecret(GenerateSecret(%q)): %v", source, err)
	}
	return k
}
