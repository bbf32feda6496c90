package vault

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// KeyFileName is the name of the key file inside the data directory.
const KeyFileName = "secret.key"

// keyFile is the JSON document stored in secret.key. It keeps every key so a
// rotation can add one while values sealed with the older keys still open.
type keyFile struct {
	Active string       `json:"active"`
	Keys   []keyFileKey `json:"keys"`
}

type keyFileKey struct {
	ID      string    `json:"id"`
	Key     string    `json:"key"` // base64, standard alphabet
	Created time.Time `json:"created"`
}

// Load returns the keyring described by the product contract. envKey is the
// value of PLUGBOARD_SECRET_KEY; when it is set it becomes the active key and
// previous (the entries of PLUGBOARD_SECRET_KEY_PREVIOUS, which may still
// contain commas) are kept for opening older values. When envKey is empty the
// keys come from <dataDir>/secret.key, which is created with a new random key
// if it does not exist.
func Load(dataDir, envKey string, previous []string) (*Keyring, error) {
	if strings.TrimSpace(envKey) != "" {
		return loadEnv(envKey, previous)
	}
	return loadFile(filepath.Join(dataDir, KeyFileName))
}

func loadEnv(envKey string, previous []string) (*Keyring, error) {
	active, err := decodeKey(envKey)
	if err != nil {
		return nil, fmt.Errorf("vault: PLUGBOARD_SECRET_KEY %w", err)
	}
	var older [][]byte
	n := 0
	for _, entry := range previous {
		for part := range strings.SplitSeq(entry, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			n++
			key, err := decodeKey(part)
			if err != nil {
				return nil, fmt.Errorf("vault: PLUGBOARD_SECRET_KEY_PREVIOUS entry %d %w", n, err)
			}
			older = append(older, key)
		}
	}
	return NewKeyring(active, older...)
}

// decodeKey accepts base64 in either alphabet, padded or not, because keys
// are pasted from many tools. Its errors never include the key.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	var key []byte
	var err error
	if strings.ContainsAny(s, "-_") {
		key, err = base64.RawURLEncoding.DecodeString(s)
	} else {
		key, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, errors.New("is not valid base64; generate a key with `openssl rand -base64 32`")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("must decode to exactly %d bytes but decodes to %d; generate a key with `openssl rand -base64 32`", KeySize, len(key))
	}
	return key, nil
}

func loadFile(path string) (*Keyring, error) {
	kf, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKeyFile(path)
	}
	if err != nil {
		return nil, err
	}
	return kf.keyring(path)
}

// Rotate generates a new key in <dataDir>/secret.key, makes it active and
// keeps the previous keys so existing values still open. It returns the new
// keyring; running servers keep their old keyring until they restart. Rotate
// is for key-file mode only: in environment mode the operator rotates by
// changing the environment (see the package documentation). Two rotations
// running at once could each write a file without the other's new key, so
// rotation is an operator action run once at a time.
func Rotate(dataDir string) (*Keyring, error) {
	path := filepath.Join(dataDir, KeyFileName)
	kf, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	if _, err := kf.keyring(path); err != nil {
		return nil, err
	}
	entry := newKeyFileKey()
	kf.Keys = append([]keyFileKey{entry}, kf.Keys...)
	kf.Active = entry.ID
	if err := writeKeyFile(path, kf, true); err != nil {
		return nil, err
	}
	return kf.keyring(path)
}

func readKeyFile(path string) (*keyFile, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("vault: no key file at %s: %w", path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("vault: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	// Windows has no Unix permission bits; there the data directory's ACL is
	// what protects the file.
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("vault: key file %s is readable by group or others (mode %04o); run `chmod 600 %s`",
			path, info.Mode().Perm(), path)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(data, &kf); err != nil {
		return nil, fmt.Errorf("vault: key file %s is not valid JSON: %w", path, err)
	}
	return &kf, nil
}

// keyring checks the file's contents, so a hand-edited or damaged file is
// reported instead of sealing with the wrong key.
func (kf *keyFile) keyring(path string) (*Keyring, error) {
	var active []byte
	var older [][]byte
	for i, entry := range kf.Keys {
		key, err := base64.StdEncoding.DecodeString(entry.Key)
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("vault: key file %s: key %d is not %d bytes of base64", path, i, KeySize)
		}
		if id := KeyID(key); id != entry.ID {
			return nil, fmt.Errorf("vault: key file %s: key %d has id %q but its content has id %q", path, i, entry.ID, id)
		}
		if entry.ID == kf.Active && active == nil {
			active = key
		} else {
			older = append(older, key)
		}
	}
	if active == nil {
		return nil, fmt.Errorf("vault: key file %s: active key %q is not among its keys", path, kf.Active)
	}
	return NewKeyring(active, older...)
}

func newKeyFileKey() keyFileKey {
	key := make([]byte, KeySize)
	rand.Read(key) // crypto/rand.Read never fails; it crashes the program instead.
	return keyFileKey{
		ID:      KeyID(key),
		Key:     base64.StdEncoding.EncodeToString(key),
		Created: time.Now().UTC().Truncate(time.Second),
	}
}

func createKeyFile(path string) (*Keyring, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("vault: create data directory: %w", err)
	}
	entry := newKeyFileKey()
	kf := &keyFile{Active: entry.ID, Keys: []keyFileKey{entry}}
	err := writeKeyFile(path, kf, false)
	if errors.Is(err, fs.ErrExist) {
		// Another process created the file first; its key is the one to use,
		// or the two would seal with different keys.
		return loadFile(path)
	}
	if err != nil {
		return nil, err
	}
	return kf.keyring(path)
}

// writeKeyFile writes a complete file under a temporary name and then moves
// it into place, so a crash never leaves a truncated key file. With replace
// false, an existing file is kept and fs.ErrExist is returned.
func writeKeyFile(path string, kf *keyFile, replace bool) error {
	data, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return fmt.Errorf("vault: encode key file: %w", err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+KeyFileName+"-*")
	if err != nil {
		return fmt.Errorf("vault: write key file: %w", err)
	}
	defer os.Remove(tmp.Name()) // No-op once the file has been renamed or linked.
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return fmt.Errorf("vault: write key file: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("vault: write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("vault: write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("vault: write key file: %w", err)
	}
	if replace {
		err = os.Rename(tmp.Name(), path)
	} else {
		// A hard link never replaces an existing file, which makes creation
		// safe against two processes starting at once.
		err = os.Link(tmp.Name(), path)
	}
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("vault: write key file: %w", err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename durable where the platform supports it; failure
// only weakens crash safety, so it is not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
