package connector

import (
	"errors"
	"strings"
)

// maxDecodings bounds how many rounds of percent-decoding CheckSegments
// tries. Nobody encodes a path eight times over on purpose, and the bound
// keeps a crafted path from costing quadratic time.
const maxDecodings = 8

// Errors of [CheckSegments].
var (
	ErrDotSegment      = errors.New(`has a "." or ".." segment once percent-decoded`)
	ErrTooManyEncoding = errors.New("is percent-encoded too many times over")
)

// CheckSegments refuses a URL path, or a value that fills part of one,
// that could name another resource than it seems to: one with a "." or
// ".." segment as any server might read it. Servers differ, so every
// reading counts: the text as given and after each round of
// percent-decoding (%2e is ".", %252e is %2e), in any letter case, with
// "\" as well as "/" between segments, and without ";params" after a
// segment ("..;x" is ".." to some servers).
func CheckSegments(path string) error {
	for range maxDecodings + 1 {
		if hasDotSegment(path) {
			return ErrDotSegment
		}
		decoded := percentDecode(path)
		if decoded == path {
			return nil
		}
		path = decoded
	}
	return ErrTooManyEncoding
}

func hasDotSegment(path string) bool {
	for seg := range strings.FieldsFuncSeq(path, func(r rune) bool { return r == '/' || r == '\\' }) {
		seg, _, _ = strings.Cut(seg, ";")
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// percentDecode decodes every valid %XX escape and keeps anything else as
// it is, as lenient servers do; url.PathUnescape would give up on the
// first malformed one instead.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
