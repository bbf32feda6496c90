package id

import (
	"strings"
	"testing"
)

func TestIDsAreUniqueAndOrdered(t *testing.T) {
	t.Parallel()
	prev := ""
	seen := map[string]bool{}
	for i := 0; i < 20000; i++ {
		v := New("log")
		if !strings.HasPrefix(v, "log_") || len(v) != 4+26 {
			t.Fatalf("malformed id %q", v)
		}
		if v <= prev {
			t.Fatalf("id %q made after %q sorts before it", v, prev)
		}
		if seen[v] {
			t.Fatalf("duplicate id %q", v)
		}
		seen[v], prev = true, v
	}
}

func TestRandomIsUnguessableLength(t *testing.T) {
	t.Parallel()
	a, b := Random("", 20), Random("", 20)
	if a == b || len(a) != 32 {
		t.Fatalf("Random gave %q and %q", a, b)
	}
}
