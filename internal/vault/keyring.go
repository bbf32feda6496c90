package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length in bytes of every vault key (AES-256).
const KeySize = 32

// sealPrefix versions the sealed format so it can change without guessing.
const sealPrefix = "pbv1"

// kidLen is the number of hex digits in a key id.
const kidLen = 8

var (
	// ErrUnknownKey is returned by Open and Reseal when a value was sealed
	// with a key that is not in the keyring. The error text names the kid.
	ErrUnknownKey = errors.New("vault: sealed with an unknown key")

	// ErrCorrupt is returned by Open and Reseal when a value is malformed,
	// has been altered, or was sealed with different associated data.
	ErrCorrupt = errors.New("vault: sealed value is corrupt or belongs to another record")
)

// Keyring encrypts with one active key and decrypts with the active key or
// any older one. A Keyring is immutable and safe for concurrent use.
type Keyring struct {
	active string
	aeads  map[string]cipher.AEAD
	order  []string // key ids, active first
}

// NewKeyring returns a keyring whose active key is active and which can also
// open values sealed with any of older. Every key must be KeySize bytes.
// Duplicate keys are ignored.
func NewKeyring(active []byte, older ...[]byte) (*Keyring, error) {
	k := &Keyring{aeads: make(map[string]cipher.AEAD, 1+len(older))}
	for i, key := range append([][]byte{active}, older...) {
		if len(key) != KeySize {
			return nil, fmt.Errorf("vault: key %d is %d bytes, want %d", i, len(key), KeySize)
		}
		kid := KeyID(key)
		if _, dup := k.aeads[kid]; dup {
			continue
		}
		aead, err := newAEAD(key)
		if err != nil {
			return nil, err
		}
		k.aeads[kid] = aead
		k.order = append(k.order, kid)
	}
	k.active = k.order[0]
	return k, nil
}

// KeyID returns the short id under which key is recorded in sealed values:
// the first eight hex digits of its SHA-256. The id reveals nothing useful
// about the key but lets Open pick the right one.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:])[:kidLen]
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	// The random-nonce mode draws a fresh 96-bit nonce per Seal and keeps it
	// in front of the ciphertext, which is exactly the layout we store.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	return aead, nil
}

// ActiveID returns the id of the key that Seal uses.
func (k *Keyring) ActiveID() string { return k.active }

// KeyIDs returns the ids of every key in the ring, the active one first.
func (k *Keyring) KeyIDs() []string { return append([]string(nil), k.order...) }

// Seal encrypts plaintext under the active key and returns a value of the
// form pbv1:<kid>:<base64url>. The same aad must be passed to Open.
func (k *Keyring) Seal(plaintext, aad []byte) (string, error) {
	aead, ok := k.aeads[k.active]
	if !ok {
		return "", errors.New("vault: keyring has no active key")
	}
	box := aead.Seal(nil, nil, plaintext, aad)
	return sealPrefix + ":" + k.active + ":" + base64.RawURLEncoding.EncodeToString(box), nil
}

// Open decrypts a value produced by Seal with any key in the ring. It
// returns an error wrapping ErrUnknownKey or ErrCorrupt when it cannot.
func (k *Keyring) Open(sealed string, aad []byte) ([]byte, error) {
	kid, box, err := parseSealed(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[kid]
	if !ok {
		return nil, fmt.Errorf("%w %s", ErrUnknownKey, kid)
	}
	plaintext, err := aead.Open(nil, nil, box, aad)
	if err != nil {
		return nil, ErrCorrupt
	}
	return plaintext, nil
}

// Reseal re-encrypts sealed under the active key and reports whether it
// changed. A value already under the active key is returned as is, after
// checking that it opens, so a rotation pass also finds damaged values.
func (k *Keyring) Reseal(sealed string, aad []byte) (string, bool, error) {
	plaintext, err := k.Open(sealed, aad)
	if err != nil {
		return "", false, err
	}
	if kid, _, _ := parseSealed(sealed); kid == k.active {
		return sealed, false, nil
	}
	resealed, err := k.Seal(plaintext, aad)
	if err != nil {
		return "", false, err
	}
	return resealed, true, nil
}

// SealJSON encodes v as JSON and seals it, for credentials stored as a
// document rather than a single string.
func (k *Keyring) SealJSON(v any, aad []byte) (string, error) {
	plaintext, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("vault: encode value to seal: %w", err)
	}
	return k.Seal(plaintext, aad)
}

// OpenJSON opens a value produced by SealJSON and decodes it into v.
func (k *Keyring) OpenJSON(sealed string, aad []byte, v any) error {
	plaintext, err := k.Open(sealed, aad)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plaintext, v); err != nil {
		// The JSON error could quote part of the secret, so it is not wrapped.
		return errors.New("vault: opened value is not the expected JSON document")
	}
	return nil
}

// SealedKeyID returns the id of the key a sealed value was made with,
// without decrypting it. It lets a rotation report what is left to do.
func SealedKeyID(sealed string) (string, error) {
	kid, _, err := parseSealed(sealed)
	return kid, err
}

func parseSealed(sealed string) (kid string, box []byte, err error) {
	version, rest, ok := strings.Cut(sealed, ":")
	if !ok || version != sealPrefix {
		return "", nil, fmt.Errorf("%w: not a %s value", ErrCorrupt, sealPrefix)
	}
	kid, encoded, ok := strings.Cut(rest, ":")
	if !ok || !isKeyID(kid) {
		return "", nil, fmt.Errorf("%w: malformed key id", ErrCorrupt)
	}
	box, err = base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return "", nil, fmt.Errorf("%w: bad encoding", ErrCorrupt)
	}
	return kid, box, nil
}

// isKeyID checks the kid's shape before it is echoed in an error, so a
// hostile value cannot smuggle arbitrary text into logs.
func isKeyID(s string) bool {
	if len(s) != kidLen {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
