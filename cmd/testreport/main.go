// Command testreport reads `go test -json` on its standard input and prints
// what a person needs from it: one line per package, the output of every
// failing test, and at the end every skipped test with the reason it gave.
// It exits non-zero when a test failed, and, under CI=true, when a test
// skipped: a skipped test did not run.
//
//	go test -json ./... | go run ./cmd/testreport
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (test2json's TestEvent).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type key struct{ pkg, test string }

func main() { os.Exit(run(os.Stdin, os.Stdout, os.Getenv("CI") == "true")) }

func run(in io.Reader, out io.Writer, ci bool) int {
	output := map[key]*strings.Builder{}
	var skipped []string
	failed := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			fmt.Fprintln(out, sc.Text()) // not JSON: a build error, say
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			if output[k] == nil {
				output[k] = &strings.Builder{}
			}
			output[k].WriteString(e.Output)
		case "fail":
			failed = true
			if e.Test != "" {
				fmt.Fprint(out, text(output[k]))
			} else {
				fmt.Fprint(out, packageText(output[k]))
				fmt.Fprintf(out, "FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
			}
		case "pass":
			if e.Test == "" {
				fmt.Fprintf(out, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
			}
		case "skip":
			if e.Test != "" {
				skipped = append(skipped, fmt.Sprintf("%s %s: %s", e.Package, e.Test, reason(output[k])))
			}
		}
		if e.Action == "pass" || e.Action == "skip" {
			delete(output, k)
		}
	}
	if len(skipped) > 0 {
		sort.Strings(skipped)
		fmt.Fprintf(out, "\n%d tests skipped (a skipped test did not run):\n", len(skipped))
		for _, s := range skipped {
			fmt.Fprintln(out, "  "+s)
		}
	}
	switch {
	case failed:
		fmt.Fprintln(out, "\nFAIL")
		return 1
	case len(skipped) > 0 && ci:
		fmt.Fprintln(out, "\nFAIL: tests skipped under CI=true; install what they need (see .ci/setup)")
		return 1
	}
	return 0
}

func text(b *strings.Builder) string {
	if b == nil {
		return ""
	}
	return b.String()
}

// packageText keeps a failed package's own lines (a build error, a panic
// outside a test), without the lines go test prints for every package.
func packageText(b *strings.Builder) string {
	var keep []string
	for _, l := range strings.SplitAfter(text(b), "\n") {
		if l == "" || strings.HasPrefix(l, "FAIL") || strings.HasPrefix(l, "ok ") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "")
}

// reason is what a skipped test said, without the "--- SKIP" line.
func reason(b *strings.Builder) string {
	var parts []string
	for _, l := range strings.Split(text(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
			continue
		}
		parts = append(parts, l)
	}
	if len(parts) == 0 {
		return "no reason given"
	}
	return strings.Join(parts, " ")
}
