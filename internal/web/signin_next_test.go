package web

import "testing"

// hostileNext are post-sign-in destinations that a browser would resolve to
// another site, or that hide such a destination behind an encoding.
var hostileNext = []string{
	"//evil.example",
	"/\\evil.example",
	"\\\\evil.example",
	"/\t/evil.example",
	"/%09/evil.example",
	"/\r/evil.example",
	"/\n/evil.example",
	"/%0a/evil.example",
	"/%0D%0A/evil.example",
	"/%5cevil.example",
	"/%5C%5Cevil.example",
	"/%2f/evil.example",
	"/%2F%2Fevil.example",
	"/%252f%252fevil.example",
	"/%2509/evil.example",
	"https://evil.example/",
	"http:evil.example",
	"javascript:alert(1)",
	" /evil",
	"evil.example",
	"/\x00/evil.example",
	"/\x7f/evil.example",
	"/%zz",
	"/%25252525252509",
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for _, next := range hostileNext {
		if got := safeNext(next); got != "/" {
			t.Errorf("safeNext(%q) = %q, want /", next, got)
		}
	}
	for _, next := range []string{"/", "/members", "/integrations/abc/actions?tab=1", "/logs?integration=x%20y", "/a/b#frag", "/path%20with%20space"} {
		if got := safeNext(next); got != next {
			t.Errorf("safeNext(%q) = %q, want it kept", next, got)
		}
	}
	if got := safeNext(""); got != "/" {
		t.Errorf("safeNext(\"\") = %q, want /", got)
	}
}
