package server_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

func newKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// start opens a node on cfg, closes it, and returns the error New gave.
func start(t *testing.T, cfg config.Config) error {
	t.Helper()
	cfg.AdminToken, cfg.Addr = servertest.AdminToken, "127.0.0.1:0"
	srv, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err == nil {
		srv.Close()
	}
	return err
}

// A second node that generated its own key used to start and answer 500
// for every stored credential. It now refuses to start, and says how to
// give it the key the first node uses.
func TestANodeWithAnotherKeyRefusesToStart(t *testing.T) {
	t.Parallel()
	dbURL := storetest.PostgresURL(t)
	first := newKey()
	if err := start(t, config.Config{DatabaseURL: dbURL, DataDir: t.TempDir(), SecretKey: first}); err != nil {
		t.Fatalf("the first node: %v", err)
	}
	err := start(t, config.Config{DatabaseURL: dbURL, DataDir: t.TempDir()}) // generates a key of its own
	if err == nil || !strings.Contains(err.Error(), "set PLUGBOARD_SECRET_KEY on this node to the key the other nodes use") ||
		!strings.Contains(err.Error(), "which this node generated") {
		t.Fatalf("a node with a generated key: %v", err)
	}
	if err := start(t, config.Config{DatabaseURL: dbURL, DataDir: t.TempDir(), SecretKey: newKey()}); err == nil || !strings.Contains(err.Error(), "from PLUGBOARD_SECRET_KEY") {
		t.Fatalf("a node with another key: %v", err)
	}
	if err := start(t, config.Config{DatabaseURL: dbURL, DataDir: t.TempDir(), SecretKey: first}); err != nil {
		t.Fatalf("a second node with the shared key: %v", err)
	}
	// After a rotation the old key, given as previous, still opens it.
	if err := start(t, config.Config{DatabaseURL: dbURL, DataDir: t.TempDir(), SecretKey: newKey(), SecretKeyPrevious: []string{first}}); err != nil {
		t.Fatalf("a node with the first key as a previous one: %v", err)
	}
}

// On SQLite, a lost key file is found at start, not at the first call.
func TestALostKeyFileIsFoundAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := start(t, config.Config{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "secret.key")); err != nil {
		t.Fatal(err)
	}
	if err := start(t, config.Config{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "cannot open the credentials in this database") {
		t.Fatalf("a node whose key file was replaced: %v", err)
	}
}
