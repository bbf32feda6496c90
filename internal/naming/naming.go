// Package naming is the one rule for the texts people give things: every
// name, description and email address Plugboard stores passes through it,
// whichever surface it came from. A name is one line of printable text of
// at most [MaxName] characters; a description may break lines and runs to
// [MaxDescription]; neither may carry control characters or the Unicode
// direction overrides that make a name read differently from what it is.
package naming

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/plugboard/plugboard/internal/problem"
)

// Limits, in characters (runes) except for MaxEmail, which RFC 5321 counts
// in octets.
const (
	MaxName        = 100
	MaxDescription = 1000
	MaxEmail       = 254
)

// Name trims s and reports why it cannot be a name, if it cannot. An empty
// name is an error: callers with optional names check for "" first.
func Name(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("is required")
	}
	return s, check(s, MaxName, false)
}

// Description trims s and reports why it cannot be a description; "" is
// a fine description.
func Description(s string) (string, error) {
	s = strings.TrimSpace(s)
	return s, check(s, MaxDescription, true)
}

// Email trims s and reports why it cannot be an address to sign in with.
// It checks the shape only; delivery is the mail server's business.
func Email(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch at := strings.LastIndexByte(s, '@'); {
	case s == "":
		return "", fmt.Errorf("is required")
	case len(s) > MaxEmail:
		return s, fmt.Errorf("is %d bytes long; an email address has at most %d", len(s), MaxEmail)
	case at < 1 || at == len(s)-1 || strings.ContainsAny(s, " <>,;\""):
		return s, fmt.Errorf("must be an email address like ada@example.com")
	}
	return s, check(s, MaxEmail, false)
}

// Field checks one field of a request for a service: the cleaned value, or
// a 400 naming the field and what to fix. kind is Name, Description or
// Email.
func Field(field string, kind func(string) (string, error), s string) (string, error) {
	v, err := kind(s)
	if err != nil {
		return v, problem.Invalid(field+" "+err.Error(), []problem.FieldError{{Field: field, Message: err.Error()}})
	}
	return v, nil
}

func check(s string, limit int, multiline bool) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8 text")
	}
	n := 0
	for i, r := range s {
		n++
		if multiline && (r == '\n' || r == '\t' || r == '\r') {
			continue
		}
		if refused(r) {
			return fmt.Errorf("contains %s at character %d; use printable text on one line", describe(r), utf8.RuneCountInString(s[:i])+1)
		}
	}
	if n > limit {
		return fmt.Errorf("is %d characters long; keep it to %d", n, limit)
	}
	return nil
}

// refused reports the characters no name or description may hold: C0 and
// C1 controls, line and paragraph separators, and the bidirectional
// embeddings, overrides and isolates (the "Trojan Source" characters).
func refused(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u2028' || r == '\u2029':
		return true
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069', r == '\u200E', r == '\u200F', r == '\u061C':
		return true
	}
	return false
}

func describe(r rune) string {
	switch r {
	case 0:
		return "a NUL byte"
	case '\n', '\r':
		return "a line break"
	case '\t':
		return "a tab"
	}
	if unicode.IsControl(r) {
		return fmt.Sprintf("a control character (U+%04X)", r)
	}
	return fmt.Sprintf("an invisible direction or separator character (U+%04X)", r)
}

// Clean makes s acceptable where it comes from a document nobody here
// controls (an OpenAPI file): each refused character becomes a space, and
// a text over limit characters is cut at a word boundary where one is near,
// the cut marked with an ellipsis.
func Clean(s string, limit int, multiline bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if multiline && (r == '\n' || r == '\t') {
			return r
		}
		if refused(r) {
			return ' '
		}
		return r
	}, s)
	return clip(strings.TrimSpace(s), limit)
}

func clip(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	cut, n := 0, 0
	for i := range s {
		if n == limit-1 {
			cut = i
			break
		}
		n++
	}
	head := s[:cut]
	if sp := strings.LastIndexAny(head, " \n\t"); sp > len(head)*3/4 {
		head = head[:sp]
	}
	return strings.TrimSpace(head) + "…"
}

// Optional lets a rule accept a blank text, which it returns as "": a
// field left blank clears it.
func Optional(rule func(string) (string, error)) func(string) (string, error) {
	return func(s string) (string, error) {
		if strings.TrimSpace(s) == "" {
			return "", nil
		}
		return rule(s)
	}
}
