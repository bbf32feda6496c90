package vault

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"math"
)

// minTokenBytes is the least randomness NewToken will use: 128 bits, beyond
// any online guessing.
const minTokenBytes = 16

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewToken returns prefix followed by random base62 characters carrying at
// least nbytes bytes of entropy, for example NewToken("pb_live_", 24). Base62
// keeps tokens selectable with a double click and safe in URLs and headers.
// Values of nbytes below 16 are raised to 16.
func NewToken(prefix string, nbytes int) string {
	nbytes = max(nbytes, minTokenBytes)
	n := int(math.Ceil(float64(nbytes*8) / math.Log2(62)))
	out := make([]byte, len(prefix), len(prefix)+n)
	copy(out, prefix)
	buf := make([]byte, n+n/4)
	for len(out) < cap(out) {
		rand.Read(buf) // crypto/rand.Read never fails; it crashes the program instead.
		for _, b := range buf {
			// Bytes at or above 248 would make some characters likelier than
			// others, so they are dropped rather than folded in.
			if b >= 248 || len(out) == cap(out) {
				continue
			}
			out = append(out, base62[b%62])
		}
	}
	return string(out)
}

// HashToken returns the hex SHA-256 of token, the form in which API keys are
// stored. A fast unsalted hash is enough because tokens from NewToken carry
// at least 128 random bits; it would not be enough for passwords.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// EqualHash reports whether two hashes from HashToken are equal, taking the
// same time wherever they differ.
func EqualHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
