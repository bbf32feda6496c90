package executor

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const fuzzBase = "https://api.example.com/base"

// FuzzProxyTarget checks the proxy's path rule on arbitrary paths: an
// accepted path stays under the base URL, on its origin, and the path
// sent carries no dot segment however many times a server decodes it.
func FuzzProxyTarget(f *testing.F) {
	for _, seed := range []string{
		"things/7", "users/a%2Fb", "q/100%25", "a/.../b", "%252e%252e/admin", ".%252e/x", "%25252E%25252e",
		"a%255c..%255cb", "..;/admin", "//evil.example/x", "@evil.example", "a b/ü", "%zz/%2", "x?y#z", "\\..\\x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		target, err := proxyTarget(fuzzBase, path)
		if err != nil {
			return
		}
		if target.Scheme != "https" || target.Host != "api.example.com" || target.User != nil {
			t.Fatalf("proxy path %q left the origin: %s", path, target)
		}
		if target.RawQuery != "" || target.Fragment != "" {
			t.Fatalf("proxy path %q became a query or fragment: %s", path, target)
		}
		sent := target.EscapedPath()
		if !strings.HasPrefix(sent, "/base/") {
			t.Fatalf("proxy path %q is sent as %q, outside /base/", path, sent)
		}
		if depth, ok := dotSegmentDepth(sent); ok {
			t.Fatalf("proxy path %q is sent as %q, a dot segment after %d decodings", path, sent, depth)
		}
	})
}

var escape = regexp.MustCompile(`%[0-9a-fA-F]{2}`)

// dotSegmentDepth decodes s until it stops changing, the way a lenient
// server would, and reports the first round at which a segment reads "."
// or "..", with "\" as a separator and ";params" ignored. It is written
// apart from connector.CheckSegments so that the two can disagree.
func dotSegmentDepth(s string) (int, bool) {
	for depth := 0; ; depth++ {
		for _, seg := range strings.Split(strings.ReplaceAll(s, `\`, "/"), "/") {
			if i := strings.IndexByte(seg, ';'); i >= 0 {
				seg = seg[:i]
			}
			if seg == "." || seg == ".." {
				return depth, true
			}
		}
		decoded := escape.ReplaceAllStringFunc(s, func(e string) string {
			b, _ := strconv.ParseUint(e[1:], 16, 8)
			return string([]byte{byte(b)})
		})
		if decoded == s {
			return 0, false
		}
		s = decoded
	}
}

func TestProxyTarget(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"things/7":          "https://api.example.com/base/things/7",
		"/users/a%2Fb":      "https://api.example.com/base/users/a%2Fb",
		"//evil.example/x":  "https://api.example.com/base/evil.example/x",
		"":                  "https://api.example.com/base/",
		"files/report.json": "https://api.example.com/base/files/report.json",
	} {
		got, err := proxyTarget(fuzzBase, path)
		if err != nil || got.String() != want {
			t.Errorf("proxyTarget(%q) = %v, %v; want %s", path, got, err, want)
		}
	}
	for _, path := range []string{"%252e%252e/admin", "x?y", "a#b", "%zz", "a/%2e/b"} {
		if _, err := proxyTarget(fuzzBase, path); err == nil {
			t.Errorf("proxyTarget(%q) was accepted", path)
		}
	}
}
