package openapi

import (
	"strings"
	"unicode/utf8"
)

// slug lowercases s and turns every run of other characters than ASCII
// letters and digits into one underscore, so operationIds such as
// "repos/get-content" become keys such as "repos_get_content". A double
// underscore never appears, since tool names use it as a separator.
func slug(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte('_')
			pending = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// clip trims s and shortens it to at most max runes, cutting at a word
// boundary when one is near and marking the cut with an ellipsis.
func clip(s string, max int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	cut, n := 0, 0
	for i := range s {
		if n == max-1 {
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

// describe joins an operation's summary and description, leaving out the
// summary when the description already starts with it.
func describe(summary, description string) string {
	summary = strings.TrimSpace(summary)
	description = strings.TrimSpace(description)
	switch {
	case summary == "":
		return clip(description, maxDescription)
	case description == "" || strings.HasPrefix(description, summary):
		return clip(firstNonEmpty(description, summary), maxDescription)
	default:
		return clip(summary+"\n\n"+description, maxDescription)
	}
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
