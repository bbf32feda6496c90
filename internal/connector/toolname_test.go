package connector

import (
	"regexp"
	"strings"
	"testing"
)

func TestToolName(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`) // OpenAI's and Anthropic's rule, stricter than MCP's
	long := strings.Repeat("a", 40)
	cases := []struct{ slug, key, want string }{
		{"custom_crm", "create_contact", "custom_crm__create_contact"},
		{"github", "repos_get", "github__repos_get"},
		{"x", strings.Repeat("k", 61), "x__" + strings.Repeat("k", 61)}, // exactly 64
	}
	for _, c := range cases {
		if got := ToolName(c.slug, c.key); got != c.want {
			t.Errorf("ToolName(%q, %q) = %q, want %q", c.slug, c.key, got, c.want)
		}
	}
	a, b := ToolName(long, long+"_one"), ToolName(long, long+"_two")
	for _, n := range []string{a, b} {
		if len(n) != 64 || !valid.MatchString(n) || !strings.HasPrefix(n, long+"__") {
			t.Errorf("shortened name %q (%d characters)", n, len(n))
		}
	}
	if a == b || a != ToolName(long, long+"_one") {
		t.Errorf("shortened names are not distinct and stable: %q %q", a, b)
	}
}
