package connector

import "strings"

// Slug turns a display name into a stable key: lower case ASCII letters and
// digits, every other run of characters becoming one underscore, with none
// at either end ("Create Contact" → "create_contact"). Keys end up in URLs
// and agent tool names, which accept only this alphabet.
func Slug(s string) string {
	var b strings.Builder
	pending := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(r)
			continue
		}
		pending = true
	}
	return b.String()
}
