package openapi

import (
	"strings"

	"github.com/plugboard/plugboard/internal/naming"
)

// slug makes a snake_case key of an operationId: words of camelCase are
// split ("showPetById" becomes "show_pet_by_id", "getHTTPStatus"
// "get_http_status") and every run of other characters than ASCII letters
// and digits becomes one underscore ("repos/get-content" becomes
// "repos_get_content"). A double underscore never appears, since tool
// names use it as a separator.
func slug(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	pending := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUpper(c):
			if i > 0 && (isLower(s[i-1]) || isDigit(s[i-1]) || isUpper(s[i-1]) && i+1 < len(s) && isLower(s[i+1])) {
				pending = b.Len() > 0
			}
			c += 'a' - 'A'
		case isLower(c), isDigit(c):
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

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// nameText and describeText make a document's text fit the rules every
// name and description follows (see package naming), cutting it to max
// characters.
func nameText(s string, max int) string     { return naming.Clean(s, max, false) }
func describeText(s string, max int) string { return naming.Clean(s, max, true) }

// describe joins an operation's summary and description, leaving out the
// summary when the description already starts with it.
func describe(summary, description string) string {
	summary = strings.TrimSpace(summary)
	description = strings.TrimSpace(description)
	switch {
	case summary == "":
		return describeText(description, maxDescription)
	case description == "" || strings.HasPrefix(description, summary):
		return describeText(firstNonEmpty(description, summary), maxDescription)
	default:
		return describeText(summary+"\n\n"+description, maxDescription)
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
