package logging

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
)

var redactedJSON = []byte(`"` + Redacted + `"`)

// RedactJSON returns a copy of body in which the values of secret-looking
// object keys (see IsSecretKey) are masked at any depth, and every literal
// occurrence of the given secrets is replaced, also in their JSON- and
// URL-escaped forms. Under a secret key, strings are masked but numbers,
// booleans, null and the shape of nested objects stay visible, so
// "max_tokens": 1024 survives and "credentials": {"user": "x"} keeps its
// field names.
//
// Input that does not start like JSON gets the literal replacement only.
// Truncated JSON is handled as far as it goes, which matters because call
// logs cut long bodies. body is never modified.
func RedactJSON(body []byte, secrets ...string) []byte {
	out := body
	if looksLikeJSON(body) {
		if masked := maskSecretValues(body); masked != nil {
			out = masked
		}
	}
	out = replaceLiterals(out, secrets)
	if len(out) > 0 && len(body) > 0 && &out[0] == &body[0] {
		out = bytes.Clone(body)
	}
	return out
}

func looksLikeJSON(body []byte) bool {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
}

// maskSecretValues scans body once, without building a tree, so that key
// order, spacing and number formatting are kept and large bodies stay cheap.
// It is lenient: it never rejects input, it only recognizes strings,
// brackets and key colons. It returns nil when nothing was masked.
func maskSecretValues(body []byte) []byte {
	var out []byte
	last := 0        // body[:last] has been copied to out
	depth := 0       // nesting of objects and arrays
	secretDepth := 0 // when > 0, the depth of a container under a secret key
	pending := false // a secret key was seen and its value has not started
	keys := keyCache{}
	for i := 0; i < len(body); {
		switch body[i] {
		case '"':
			end := stringEnd(body, i)
			if followedByColon(body, end) {
				pending = keys.isSecret(keyName(body[i:end]))
			} else {
				if pending || secretDepth > 0 {
					if out == nil {
						out = make([]byte, 0, len(body))
					}
					out = append(out, body[last:i]...)
					out = append(out, redactedJSON...)
					last = end
				}
				pending = false
			}
			i = end
			continue
		case '{', '[':
			depth++
			if pending && secretDepth == 0 {
				secretDepth = depth
			}
			pending = false
		case '}', ']':
			if depth == secretDepth {
				secretDepth = 0
			}
			depth = max(depth-1, 0)
			pending = false
		case ',':
			pending = false
		}
		i++
	}
	if out == nil {
		return nil
	}
	return append(out, body[last:]...)
}

// keyCache remembers verdicts for the keys of one body, because API
// responses repeat the same few keys across every record of a list. It is
// bounded so that bodies keyed by ids do not grow it without limit.
type keyCache map[string]bool

const keyCacheSize = 256

func (c keyCache) isSecret(name []byte) bool {
	if secret, ok := c[string(name)]; ok {
		return secret
	}
	secret := isSecretKey(name)
	if len(c) < keyCacheSize {
		c[string(name)] = secret
	}
	return secret
}

// stringEnd returns the index just past the closing quote of the string
// starting at body[start], or len(body) if the string is cut off.
func stringEnd(body []byte, start int) int {
	from := start + 1
	for {
		n := bytes.IndexByte(body[from:], '"')
		if n < 0 {
			return len(body)
		}
		quote := from + n
		backslashes := 0
		for p := quote - 1; p > start && body[p] == '\\'; p-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return quote + 1
		}
		from = quote + 1
	}
}

func followedByColon(body []byte, i int) bool {
	for ; i < len(body); i++ {
		switch body[i] {
		case ' ', '\t', '\r', '\n':
		case ':':
			return true
		default:
			return false
		}
	}
	return false
}

// keyName returns the text of a quoted key. Escapes are rare in keys, so
// only then is the key decoded properly.
func keyName(quoted []byte) []byte {
	if len(quoted) < 2 || quoted[len(quoted)-1] != '"' {
		return quoted[min(1, len(quoted)):]
	}
	inner := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return inner
	}
	return []byte(s)
}

// replaceLiterals replaces each secret, longest first so that a secret
// containing another is replaced whole. It returns text itself when no
// secret occurs.
func replaceLiterals(text []byte, secrets []string) []byte {
	if len(secrets) == 0 || len(text) == 0 {
		return text
	}
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s))
		if quoted, err := json.Marshal(s); err == nil {
			escaped := string(quoted[1 : len(quoted)-1])
			// Some encoders (PHP's among them) also escape slashes.
			forms = append(forms, escaped, strings.ReplaceAll(escaped, "/", `\/`))
		}
	}
	for _, form := range longestFirst(forms) {
		if bytes.Contains(text, []byte(form)) {
			text = bytes.ReplaceAll(text, []byte(form), []byte(Redacted))
		}
	}
	return text
}
