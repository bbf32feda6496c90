// Package vault keeps Plugboard's secrets encrypted at rest and holds the
// small primitives every other package uses for secret material.
//
// # Sealing values
//
// A [Keyring] holds one active AES-256 key and any number of older ones.
// [Keyring.Seal] encrypts with AES-256-GCM under the active key and a fresh
// random 96-bit nonce, and returns a self-describing string:
//
//	pbv1:<kid>:<base64url(nonce || ciphertext || tag)>
//
// The kid is the first eight hex digits of the SHA-256 of the key, so
// [Keyring.Open] knows which key to use and a value sealed before a rotation
// still opens after it. Callers pass associated data (aad) that names the row
// a value belongs to, such as "connection:" + id. The same aad must be given
// to Open; a sealed value copied into another row therefore fails to open
// instead of silently lending its credentials to the wrong record.
//
// Open reports [ErrUnknownKey] when no key in the ring has the value's kid and
// [ErrCorrupt] when the value is malformed, was altered, or was sealed with
// different aad. Errors never contain plaintext or ciphertext.
//
// # Where keys come from
//
// [Load] follows the product contract. When PLUGBOARD_SECRET_KEY is set it is
// the active key (32 bytes, base64 in the standard or URL alphabet, padded or
// not) and PLUGBOARD_SECRET_KEY_PREVIOUS lists older keys, comma separated,
// that are kept only for opening. Otherwise the keys live in the data
// directory in secret.key, a small JSON file created on first start with mode
// 0600. Load refuses a key file that group or others can read, because
// anyone who can read it can read every stored credential.
//
// # Rotating keys
//
// Rotation has two steps: make a new key active, then re-encrypt stored
// values with [Keyring.Reseal] so the old key can eventually be retired. The
// second step is the job of `plugboard keys rotate`; Reseal leaves values
// already under the active key untouched, so the command can be re-run after
// an interruption.
//
// In key-file mode, [Rotate] adds a freshly generated key to secret.key,
// marks it active and keeps the old keys, so every existing value still
// opens. The file is replaced atomically.
//
// In environment mode the operator rotates: generate a new key (for example
// `openssl rand -base64 32`), set it as PLUGBOARD_SECRET_KEY, move the old
// value into PLUGBOARD_SECRET_KEY_PREVIOUS, restart every node, and run the
// re-encryption. Once it has finished, the old key can be dropped from
// PLUGBOARD_SECRET_KEY_PREVIOUS. Environment mode never reads secret.key: to
// move a key-file installation to the environment, put the file's keys into
// the two variables (the active one first).
//
// # Tokens
//
// [NewToken] makes random, prefixed tokens such as API keys and webhook
// secrets; [HashToken] and [EqualHash] let API keys be stored as hashes and
// compared in constant time.
package vault
