package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func newTestKey(t *testing.T) []byte {
	t.Helper()
	key := make([]byte, KeySize)
	rand.Read(key)
	return key
}

func newTestKeyring(t *testing.T) *Keyring {
	t.Helper()
	k, err := NewKeyring(newTestKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	k := newTestKeyring(t)
	for _, plaintext := range [][]byte{nil, []byte("x"), []byte("sk_live_abc123"), bytes.Repeat([]byte{0}, 4096)} {
		sealed, err := k.Seal(plaintext, []byte("connection:1"))
		if err != nil {
			t.Fatal(err)
		}
		if want := "pbv1:" + k.ActiveID() + ":"; !strings.HasPrefix(sealed, want) {
			t.Fatalf("sealed value %q does not start with %q", sealed, want)
		}
		got, err := k.Open(sealed, []byte("connection:1"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plaintext) {
			t.Fatalf("Open = %q, want %q", got, plaintext)
		}
	}
}

func TestSealUsesFreshNonce(t *testing.T) {
	t.Parallel()
	k := newTestKeyring(t)
	a, _ := k.Seal([]byte("same"), nil)
	b, _ := k.Seal([]byte("same"), nil)
	if a == b {
		t.Fatal("sealing the same plaintext twice gave the same value")
	}
}

func TestOpenRejectsOtherRecord(t *testing.T) {
	t.Parallel()
	k := newTestKeyring(t)
	sealed, _ := k.Seal([]byte("hunter2"), []byte("connection:1"))
	for _, aad := range [][]byte{[]byte("connection:2"), nil} {
		_, err := k.Open(sealed, aad)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open with aad %q: err = %v, want ErrCorrupt", aad, err)
		}
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	t.Parallel()
	k := newTestKeyring(t)
	sealed, _ := k.Seal([]byte("hunter2"), nil)
	prefix := sealed[:strings.LastIndexByte(sealed, ':')+1]
	box, err := base64.RawURLEncoding.DecodeString(sealed[len(prefix):])
	if err != nil {
		t.Fatal(err)
	}
	// Every byte matters: nonce, ciphertext and tag.
	for i := range box {
		altered := bytes.Clone(box)
		altered[i] ^= 0x01
		_, err := k.Open(prefix+base64.RawURLEncoding.EncodeToString(altered), nil)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flipping byte %d: err = %v, want ErrCorrupt", i, err)
		}
	}
}

func TestOpenRejectsMalformed(t *testing.T) {
	t.Parallel()
	k := newTestKeyring(t)
	sealed, _ := k.Seal([]byte("hunter2"), nil)
	body := sealed[strings.LastIndexByte(sealed, ':')+1:]
	tests := map[string]string{
		"empty":         "",
		"plaintext":     "hunter2",
		"other version": "pbv2:" + k.ActiveID() + ":" + body,
		"no body":       "pbv1:" + k.ActiveID(),
		"bad kid":       "pbv1:<script>:" + body,
		"bad base64":    "pbv1:" + k.ActiveID() + ":***",
		"truncated":     "pbv1:" + k.ActiveID() + ":" + body[:10],
	}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := k.Open(value, nil); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestOpenUnknownKeyNamesKid(t *testing.T) {
	t.Parallel()
	old := newTestKeyring(t)
	sealed, _ := old.Seal([]byte("hunter2"), nil)
	_, err := newTestKeyring(t).Open(sealed, nil)
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
	if !strings.Contains(err.Error(), old.ActiveID()) {
		t.Fatalf("error %q does not name kid %s", err, old.ActiveID())
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %q leaks the plaintext", err)
	}
}

func TestResealMovesToActiveKey(t *testing.T) {
	t.Parallel()
	oldKey, newKey := newTestKey(t), newTestKey(t)
	before, _ := NewKeyring(oldKey)
	sealed, _ := before.Seal([]byte("hunter2"), []byte("row"))

	after, err := NewKeyring(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	resealed, changed, err := after.Reseal(sealed, []byte("row"))
	if err != nil || !changed {
		t.Fatalf("Reseal = changed %v, err %v; want a change", changed, err)
	}
	if kid, _ := SealedKeyID(resealed); kid != after.ActiveID() {
		t.Fatalf("resealed under %s, want %s", kid, after.ActiveID())
	}
	if got, err := mustKeyring(t, newKey).Open(resealed, []byte("row")); err != nil || string(got) != "hunter2" {
		t.Fatalf("new key alone: Open = %q, %v", got, err)
	}

	again, changed, err := after.Reseal(resealed, []byte("row"))
	if err != nil || changed || again != resealed {
		t.Fatalf("second Reseal = %q, %v, %v; want it unchanged", again, changed, err)
	}
	if _, _, err := after.Reseal(sealed, []byte("other row")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Reseal with wrong aad: err = %v, want ErrCorrupt", err)
	}
}

func mustKeyring(t *testing.T, active []byte, older ...[]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(active, older...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealJSON(t *testing.T) {
	t.Parallel()
	type creds struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	k := newTestKeyring(t)
	in := creds{ClientID: "abc", ClientSecret: "s3cr3t"}
	sealed, err := k.SealJSON(in, []byte("conn"))
	if err != nil {
		t.Fatal(err)
	}
	var out creds
	if err := k.OpenJSON(sealed, []byte("conn"), &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("OpenJSON = %+v, want %+v", out, in)
	}

	notJSON, _ := k.Seal([]byte("s3cr3t-not-json"), nil)
	err = k.OpenJSON(notJSON, nil, &out)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("OpenJSON of non-JSON: err = %v, want an error without the plaintext", err)
	}
}

func TestNewKeyringRejectsShortKey(t *testing.T) {
	t.Parallel()
	if _, err := NewKeyring(make([]byte, 16)); err == nil {
		t.Fatal("NewKeyring accepted a 16-byte key")
	}
	if _, err := NewKeyring(newTestKey(t), []byte("short")); err == nil {
		t.Fatal("NewKeyring accepted a short older key")
	}
}
