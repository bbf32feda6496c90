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
