package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, one
// lane), which keeps a sign-in around 30 ms on a small server. They are
// written into each hash, so raising them later still verifies old ones.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// MinPasswordLength is the shortest password the dashboard accepts.
const MinPasswordLength = 10

// hashPassword returns the PHC string form of an argon2id hash of pw.
func hashPassword(pw string) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// errBadHash means a stored hash is not one this package wrote.
var errBadHash = errors.New("stored password hash is not in argon2id PHC form")

// checkPassword reports whether pw matches the stored hash, in time that
// does not depend on where they differ.
func checkPassword(stored, pw string) (bool, error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var mem, passes uint32
	var lanes uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &lanes); err != nil || mem == 0 || passes == 0 || lanes == 0 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, passes, mem, lanes, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when the email is unknown, so a sign-in
// for an unknown address takes as long as one with a wrong password.
var dummyHash = hashPassword("plugboard-no-such-user")

// passwordProblem says what is wrong with a new password, or "".
func passwordProblem(pw, confirm string) string {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return fmt.Sprintf("use at least %d characters", MinPasswordLength)
	case len(pw) > 1024:
		return "use at most 1024 bytes"
	case pw != confirm:
		return "the two passwords differ; type the same one twice"
	}
	return ""
}
