package logging

import "bytes"

// Redacted replaces every masked value.
const Redacted = "[REDACTED]"

// secretStems are searched for in a key once it is lower-cased and stripped
// of separators, so "client_secret", "clientSecret" and "X-Client-Secret"
// all match "secret".
var secretStems = [][]byte{
	[]byte("password"), []byte("passwd"), []byte("passphrase"),
	[]byte("secret"), []byte("token"), []byte("credential"),
	[]byte("apikey"), []byte("accesskey"), []byte("privatekey"),
	[]byte("signingkey"), []byte("encryptionkey"), []byte("masterkey"),
	[]byte("authorization"), []byte("cookie"), []byte("signature"), []byte("hmac"),
}

// secretWords are too short to search for inside other words ("sig" is in
// "signal") but are secret when they stand alone, as in "db_pass".
func isSecretWord(w []byte) bool {
	switch string(w) {
	case "pwd", "pass", "sig", "jwt":
		return true
	}
	return false
}

// isDescriptor reports whether the last word of a key says the value is
// about a secret rather than the secret itself: "token_type", "token_url",
// "api_key_header", "signature_algorithm". Keeping those visible makes call
// logs far more useful and leaks nothing.
func isDescriptor(w []byte) bool {
	switch string(w) {
	case "type", "kind", "url", "uri", "endpoint", "header", "name", "id",
		"algorithm", "alg", "method", "count", "length", "prefix", "location",
		"expiry", "expires", "expiration", "at", "in", "ttl":
		return true
	}
	return false
}

// IsSecretKey reports whether a JSON field, log attribute, header or query
// parameter named name probably holds a secret: a password, token, API key,
// cookie, signature or credentials. Matching ignores case and understands
// snake_case, kebab-case and camelCase. Plain "key" and "auth" do not match,
// since they usually name something else (an action key, an auth
// configuration).
func IsSecretKey(name string) bool { return isSecretKey(name) }

func isSecretKey[T string | []byte](name T) bool {
	var buf [64]byte
	norm := buf[:0]
	words, lastStart := 0, 0
	wordHit := false
	endWord := func() {
		if len(norm) > lastStart {
			wordHit = wordHit || isSecretWord(norm[lastStart:])
		}
	}
	inWord := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		upper := 'A' <= c && c <= 'Z'
		alnum := upper || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c >= 0x80
		if !alnum {
			inWord = false
			continue
		}
		if inWord && upper && camelBoundary(name, i) {
			inWord = false
		}
		if !inWord {
			endWord()
			words++
			lastStart = len(norm)
			inWord = true
		}
		if upper {
			c += 'a' - 'A'
		}
		norm = append(norm, c)
	}
	endWord()
	if !wordHit && !containsStem(norm) {
		return false
	}
	return words < 2 || !isDescriptor(norm[lastStart:])
}

// camelBoundary reports whether the upper-case letter at i starts a new word:
// after a lower-case letter or digit ("apiKey"), or as the last capital of an
// acronym followed by lower case ("APIKey").
func camelBoundary[T string | []byte](s T, i int) bool {
	prev := s[i-1]
	if 'a' <= prev && prev <= 'z' || '0' <= prev && prev <= '9' {
		return true
	}
	if 'A' <= prev && prev <= 'Z' && i+1 < len(s) {
		next := s[i+1]
		return 'a' <= next && next <= 'z'
	}
	return false
}

// stemsByFirstByte indexes secretStems so that a key is scanned once
// instead of once per stem; RedactJSON runs this for every key of a body.
var stemsByFirstByte = func() (table [256][][]byte) {
	for _, stem := range secretStems {
		table[stem[0]] = append(table[stem[0]], stem)
	}
	return table
}()

func containsStem(norm []byte) bool {
	for i, c := range norm {
		for _, stem := range stemsByFirstByte[c] {
			if bytes.HasPrefix(norm[i:], stem) {
				return true
			}
		}
	}
	return false
}
