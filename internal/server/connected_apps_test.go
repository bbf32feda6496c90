package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCAFile(t *testing.T) {
	t.Parallel()
	if pool, err := rootCAs(""); pool != nil || err != nil {
		t.Fatalf("no file: %v, %v; want the system's roots (nil)", pool, err)
	}
	if _, err := rootCAs(filepath.Join(t.TempDir(), "missing.pem")); err == nil || !strings.Contains(err.Error(), "ca-file") {
		t.Fatalf("a missing file: %v", err)
	}
	junk := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := rootCAs(junk); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("a file without a certificate: %v", err)
	}
}
