package id

import (
	"strings"
	"testing"
	"time"
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

// Ids carry their time: an id made before t sorts below Before(t), one
// made at or after t at or above it, and At makes one as New would have.
func TestIDsOrderAroundATime(t *testing.T) {
	t.Parallel()
	cut := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	bound := Before("evt", cut)
	for _, c := range []struct {
		at    time.Time
		below bool
	}{
		{cut.Add(-time.Millisecond), true}, {cut.Add(-48 * time.Hour), true}, {cut, false}, {cut.Add(time.Millisecond), false},
	} {
		if got := At("evt", c.at) < bound; got != c.below {
			t.Errorf("an id made at %v below the bound of %v: %v, want %v", c.at, cut, got, c.below)
		}
	}
	if New("evt") < bound {
		t.Error("an id made now sorts below an hour-old bound")
	}
	if a, b := At("evt", cut), At("evt", cut); a == b || len(a) != len(New("evt")) {
		t.Errorf("At made %q and %q", a, b)
	}
}
