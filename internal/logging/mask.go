package logging

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// MaskSecrets returns body with every occurrence of the given secrets
// replaced by [Redacted], also in their URL-escaped forms, and nothing else
// changed: unlike [RedactJSON], values under secret-looking keys stay, so an
// API's answer keeps its meaning for the caller who receives it.
//
// In a body that starts like JSON, secrets are looked for inside strings
// only (keys included, numbers not), after decoding their escapes, and a
// string that held one is written back encoded, so the document stays
// valid JSON. Other bodies get a plain replacement. body is never
// modified, and is returned as is when no secret occurs.
func MaskSecrets(body []byte, secrets ...string) []byte {
	return NewMasker(secrets...).Mask(body)
}

// A Masker masks one set of secrets, as [MaskSecrets] does, working out
// their escaped forms once for all the texts it is given.
type Masker struct{ forms []string }

// NewMasker returns a Masker of secrets; empty ones are ignored.
func NewMasker(secrets ...string) Masker { return Masker{forms: secretForms(secrets)} }

// MaskString is Mask for a string (a header value), without copying it
// when no secret occurs.
func (m Masker) MaskString(s string) string {
	if t := strings.TrimLeft(s, " \t\r\n"); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return string(m.Mask([]byte(s)))
	}
	for _, form := range m.forms {
		if strings.Contains(s, form) {
			masked, _ := replaceForms([]byte(s), m.forms)
			return string(masked)
		}
	}
	return s
}

// Mask is [MaskSecrets] with m's secrets.
func (m Masker) Mask(body []byte) []byte {
	forms := m.forms
	if len(forms) == 0 || len(body) == 0 {
		return body
	}
	if !looksLikeJSON(body) {
		masked, _ := replaceForms(body, forms)
		return masked
	}
	var out []byte
	last := 0 // body[:last] has been copied to out
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		end := stringEnd(body, i)
		if masked, ok := maskString(body[i:end], forms); ok {
			if out == nil {
				out = make([]byte, 0, len(body))
			}
			out = append(append(out, body[last:i]...), masked...)
			last = end
		}
		i = end - 1
	}
	if out == nil {
		return body
	}
	return append(out, body[last:]...)
}

// maskString masks secrets in one quoted JSON string, possibly cut off
// at the end of the body, reporting whether anything changed.
func maskString(quoted []byte, forms []string) ([]byte, bool) {
	inner := quoted[1:]
	closed := len(quoted) >= 2 && quoted[len(quoted)-1] == '"'
	if closed {
		inner = quoted[1 : len(quoted)-1]
	}
	if bytes.IndexByte(inner, '\\') < 0 || !closed {
		// Without escapes the text is the value, and it holds no quote
		// that a replacement could remove.
		masked, changed := replaceForms(inner, forms)
		if !changed {
			return quoted, false
		}
		out := append([]byte{'"'}, masked...)
		if closed {
			out = append(out, '"')
		}
		return out, true
	}
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return quoted, false
	}
	masked, changed := replaceForms([]byte(s), forms)
	if !changed {
		return quoted, false
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(string(masked))
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), true
}

// secretForms lists each secret as written and URL-escaped, longest first
// so that a secret containing another is replaced whole.
func secretForms(secrets []string) []string {
	var forms []string
	for _, s := range secrets {
		if s != "" {
			forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s))
		}
	}
	return longestFirst(forms)
}

// longestFirst sorts forms so that a secret containing another is
// replaced whole, and drops repeats.
func longestFirst(forms []string) []string {
	slices.SortFunc(forms, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	return slices.Compact(forms)
}

// replaceForms replaces each form in text, reporting whether any occurred;
// text itself is never modified.
func replaceForms(text []byte, forms []string) ([]byte, bool) {
	changed := false
	for _, form := range forms {
		if bytes.Contains(text, []byte(form)) {
			text = bytes.ReplaceAll(text, []byte(form), []byte(Redacted))
			changed = true
		}
	}
	return text, changed
}
