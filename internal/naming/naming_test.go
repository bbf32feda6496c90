package naming

import (
	"strings"
	"testing"
)

func TestNamesAreOneLineOfPrintableText(t *testing.T) {
	for _, c := range []struct {
		in, want, err string
	}{
		{in: "  Support bot ", want: "Support bot"},
		{in: "Café 東京 🚀", want: "Café 東京 🚀"},
		{in: strings.Repeat("é", MaxName), want: strings.Repeat("é", MaxName)},
		{in: "   ", err: "is required"},
		{in: "bad\x00name", err: "contains a NUL byte at character 4"},
		{in: "two\nlines", err: "contains a line break at character 4"},
		{in: "tab\there", err: "contains a tab at character 4"},
		{in: "esc\x1b[31m", err: "contains a control character (U+001B) at character 4"},
		{in: "c1\u0085x", err: "contains a control character (U+0085) at character 3"},
		{in: "admin\u202Egnp.exe", err: "contains an invisible direction or separator character (U+202E) at character 6"},
		{in: "iso\u2066late", err: "(U+2066)"},
		{in: "sep\u2028x", err: "(U+2028)"},
		{in: "bad\xffutf8", err: "is not valid UTF-8 text"},
		{in: strings.Repeat("n", MaxName+1), err: "is 101 characters long; keep it to 100"},
		{in: strings.Repeat("n", 1<<20), err: "is 1048576 characters long; keep it to 100"},
	} {
		got, err := Name(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("Name(%q): %v", c.in, err)
		case c.err == "" && got != c.want:
			t.Errorf("Name(%q) = %q, want %q", c.in, got, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("Name(%.40q): error %v, want one saying %q", c.in, err, c.err)
		}
	}
}

func TestDescriptionsMayBreakLines(t *testing.T) {
	if got, err := Description("Lists contacts.\n\n\tNewest first.\r\n"); err != nil || got != "Lists contacts.\n\n\tNewest first." {
		t.Errorf("Description = %q, %v", got, err)
	}
	if got, err := Description(""); err != nil || got != "" {
		t.Errorf("an empty description: %q, %v", got, err)
	}
	for in, want := range map[string]string{
		"nul\x00":                             "a NUL byte",
		"rtl\u202E":                           "(U+202E)",
		strings.Repeat("d", MaxDescription+1): "is 1001 characters long; keep it to 1000",
	} {
		if _, err := Description(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Description(%.20q): %v, want %q", in, err, want)
		}
	}
}

func TestEmails(t *testing.T) {
	for in, ok := range map[string]bool{
		" ada@example.com ":               true,
		"ada+tag@sub.example.co.uk":       true,
		"not-an-address":                  false,
		"@example.com":                    false,
		"ada@":                            false,
		"Ada <ada@example.com>":           false,
		"ada@example.com\r\nBcc: x@y.z":   false,
		"ada\x00@example.com":             false,
		strings.Repeat("a", 251) + "@x.y": false,
	} {
		got, err := Email(in)
		if ok != (err == nil) {
			t.Errorf("Email(%.40q): %v", in, err)
		}
		if ok && got != strings.TrimSpace(in) {
			t.Errorf("Email(%q) = %q", in, got)
		}
	}
}

func TestOptionalAcceptsBlank(t *testing.T) {
	if got, err := Optional(Name)("  "); err != nil || got != "" {
		t.Errorf("Optional(Name)(blank) = %q, %v", got, err)
	}
	if _, err := Optional(Name)("x\x00"); err == nil {
		t.Error("Optional(Name) accepted a NUL byte")
	}
}

func TestCleanMakesADocumentsTextFit(t *testing.T) {
	for _, c := range []struct {
		in        string
		limit     int
		multiline bool
		want      string
	}{
		{"Pet\x00Store\u202E API", 100, false, "Pet Store  API"},
		{"line one\nline two", 100, false, "line one line two"},
		{"line one\nline two", 100, true, "line one\nline two"},
		{"bad\xffbyte", 100, false, "bad\uFFFDbyte"},
		{"alpha beta gamma delta", 20, false, "alpha beta gamma…"},
	} {
		got := Clean(c.in, c.limit, c.multiline)
		if got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
		rule := Name
		if c.multiline {
			rule = Description
		}
		if _, err := rule(got); err != nil {
			t.Errorf("Clean(%q) = %q, which the rule refuses: %v", c.in, got, err)
		}
	}
}
