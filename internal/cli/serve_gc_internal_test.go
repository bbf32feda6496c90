package cli

import (
	"os"
	"runtime/debug"
	"testing"
)

// The server collects garbage at its own target unless the operator set
// GOGC, which always wins.
func TestTuneGCLeavesGOGCToTheOperator(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	t.Setenv("GOGC", "150")
	tuneGC(400)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("with GOGC set the target became %d; GOGC must win", got)
	}

	os.Unsetenv("GOGC") // t.Setenv restores it after the test
	tuneGC(400)
	if got := debug.SetGCPercent(100); got != 400 {
		t.Fatalf("without GOGC the target is %d, want --gc-percent's 400", got)
	}
}
