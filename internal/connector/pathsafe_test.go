package connector

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckSegments(t *testing.T) {
	t.Parallel()
	refused := []string{
		"..", ".", "/a/../b", "/a/./b", "a/..", "%2e%2e", "%2E%2e/x", ".%2e", "%2e.", "/x/%2e/y",
		"%252e%252e", "%25252E%25252e", "a%2f..%2fb", "a%252f%252e%252e", "..\\x", "a%5c..%5cb",
		"a%255c%252e%252e", "..;jsessionid=1/x", "%2e%2e%3bx", "%%32%65%%32%65",
	}
	for _, p := range refused {
		if err := CheckSegments(p); !errors.Is(err, ErrDotSegment) {
			t.Errorf("CheckSegments(%q) = %v, want ErrDotSegment", p, err)
		}
	}
	allowed := []string{
		"", "/", "/users/7", "...", "a..b", "/report.v1.json", ".hidden", "..x", "x..", "%2e%2e%2e",
		"a%2Fb", "100%", "%zz", "%2", "/q/100%25", "a;b", "%25", ".../...",
	}
	for _, p := range allowed {
		if err := CheckSegments(p); err != nil {
			t.Errorf("CheckSegments(%q) = %v, want nil", p, err)
		}
	}
	deep := "%2e"
	for range maxDecodings + 1 {
		deep = strings.ReplaceAll(deep, "%", "%25")
	}
	if err := CheckSegments("a" + deep + "b"); !errors.Is(err, ErrTooManyEncoding) {
		t.Errorf("a path encoded %d times over: %v", maxDecodings+2, err)
	}
}
