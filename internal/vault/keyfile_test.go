package vault

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestLoadGeneratesKeyFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data") // Load creates the data directory too.
	first, err := Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %04o, want 0600", info.Mode().Perm())
	}

	second, err := Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.ActiveID() != second.ActiveID() {
		t.Fatalf("second Load has key %s, first had %s", second.ActiveID(), first.ActiveID())
	}
	sealed, _ := first.Seal([]byte("hunter2"), nil)
	if _, err := second.Open(sealed, nil); err != nil {
		t.Fatalf("second Load cannot open the first's value: %v", err)
	}
}

func TestLoadConcurrentCreationAgrees(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ids := make([]string, 4)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			k, err := Load(dir, "", nil)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ActiveID()
		})
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("concurrent Loads created different keys: %v", ids)
		}
	}
}

func TestLoadRefusesReadableKeyFile(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	dir := t.TempDir()
	if _, err := Load(dir, "", nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, KeyFileName)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir, "", nil)
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Fatalf("err = %v, want one telling to chmod 600 %s", err, path)
	}
}

func TestLoadRejectsDamagedKeyFile(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"not JSON":       "hello",
		"no keys":        `{"active":"00000000","keys":[]}`,
		"short key":      `{"active":"00000000","keys":[{"id":"00000000","key":"AAAA"}]}`,
		"id mismatch":    `{"active":"00000000","keys":[{"id":"00000000","key":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `"}]}`,
		"missing active": `{"active":"ffffffff","keys":[{"id":"` + KeyID(make([]byte, 32)) + `","key":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `"}]}`,
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, KeyFileName), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(dir, "", nil); err == nil {
				t.Fatal("Load accepted a damaged key file")
			}
		})
	}
}

func TestRotateKeepsOldKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	before, err := Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := before.Seal([]byte("hunter2"), []byte("row"))

	rotated, err := Rotate(dir)
	if err != nil {
		t.Fatal(err)
	}
	after, err := Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if after.ActiveID() == before.ActiveID() || after.ActiveID() != rotated.ActiveID() {
		t.Fatalf("active key after rotation = %s (Rotate said %s), before = %s",
			after.ActiveID(), rotated.ActiveID(), before.ActiveID())
	}
	if got, err := after.Open(sealed, []byte("row")); err != nil || string(got) != "hunter2" {
		t.Fatalf("old value after rotation: Open = %q, %v", got, err)
	}
	resealed, changed, err := after.Reseal(sealed, []byte("row"))
	if err != nil || !changed {
		t.Fatalf("Reseal = changed %v, err %v", changed, err)
	}
	if kid, _ := SealedKeyID(resealed); kid != after.ActiveID() {
		t.Fatalf("resealed under %s, want %s", kid, after.ActiveID())
	}

	info, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode after rotation = %04o, want 0600", info.Mode().Perm())
	}
	if got := len(after.KeyIDs()); got != 2 {
		t.Fatalf("keyring has %d keys after one rotation, want 2", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data directory holds %d entries, want only the key file", len(entries))
	}
}

func TestRotateWithoutKeyFile(t *testing.T) {
	t.Parallel()
	if _, err := Rotate(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestLoadFromEnvironment(t *testing.T) {
	t.Parallel()
	oldKey, newKey := newTestKey(t), newTestKey(t)
	sealedOld, _ := mustKeyring(t, oldKey).Seal([]byte("hunter2"), nil)
	dir := t.TempDir()

	encodings := map[string]string{
		"std padded":   base64.StdEncoding.EncodeToString(newKey),
		"std raw":      base64.RawStdEncoding.EncodeToString(newKey),
		"url padded":   base64.URLEncoding.EncodeToString(newKey),
		"url raw":      base64.RawURLEncoding.EncodeToString(newKey),
		"with newline": base64.StdEncoding.EncodeToString(newKey) + "\n",
	}
	for name, env := range encodings {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			previous := []string{"", base64.RawURLEncoding.EncodeToString(oldKey) + ","}
			k, err := Load(dir, env, previous)
			if err != nil {
				t.Fatal(err)
			}
			if k.ActiveID() != KeyID(newKey) {
				t.Fatalf("active key %s, want %s", k.ActiveID(), KeyID(newKey))
			}
			if _, err := k.Open(sealedOld, nil); err != nil {
				t.Fatalf("previous key does not open old values: %v", err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("environment mode touched the key file: %v", err)
	}
}

func TestLoadRejectsBadEnvironmentKey(t *testing.T) {
	t.Parallel()
	good := base64.StdEncoding.EncodeToString(newTestKey(t))
	tests := []struct {
		name, env string
		previous  []string
		want      string
	}{
		{"16 bytes", base64.StdEncoding.EncodeToString(make([]byte, 16)), nil, "PLUGBOARD_SECRET_KEY must decode to exactly 32 bytes but decodes to 16"},
		{"64 bytes", base64.StdEncoding.EncodeToString(make([]byte, 64)), nil, "exactly 32 bytes"},
		{"raw text", "correct horse battery staple!", nil, "PLUGBOARD_SECRET_KEY is not valid base64"},
		{"bad previous", good, []string{good + ",c2hvcnQ="}, "PLUGBOARD_SECRET_KEY_PREVIOUS entry 2 must decode to exactly 32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(t.TempDir(), tt.env, tt.previous)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
