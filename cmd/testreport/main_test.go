package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportFailsOnFailuresAndOnSkipsUnderCI(t *testing.T) {
	t.Parallel()
	stream := func(lines ...string) *strings.Reader { return strings.NewReader(strings.Join(lines, "\n")) }
	pass := `{"Action":"pass","Package":"p","Elapsed":0.1}`
	skip := []string{
		`{"Action":"output","Package":"p","Test":"TestDB","Output":"=== RUN   TestDB\n"}`,
		`{"Action":"output","Package":"p","Test":"TestDB","Output":"    db_test.go:9: PostgreSQL unreachable\n"}`,
		`{"Action":"output","Package":"p","Test":"TestDB","Output":"--- SKIP: TestDB (0.00s)\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestDB"}`,
	}
	fail := []string{
		`{"Action":"output","Package":"p","Test":"TestX","Output":"    x_test.go:3: want 2, got 3\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestX"}`,
		`{"Action":"fail","Package":"p","Elapsed":0.2}`,
	}
	var out strings.Builder
	if code := run(stream(pass), &out, true); code != 0 {
		t.Fatalf("a passing run exits %d:\n%s", code, out.String())
	}
	out.Reset()
	if code := run(stream(append(skip, pass)...), &out, false); code != 0 || !strings.Contains(out.String(), "p TestDB: db_test.go:9: PostgreSQL unreachable") {
		t.Fatalf("a local run with a skip exits %d:\n%s", code, out.String())
	}
	out.Reset()
	if code := run(stream(append(skip, pass)...), &out, true); code == 0 {
		t.Fatalf("a skip under CI passes:\n%s", out.String())
	}
	out.Reset()
	if code := run(stream(fail...), &out, false); code == 0 || !strings.Contains(out.String(), "want 2, got 3") {
		t.Fatalf("a failure exits %d:\n%s", code, out.String())
	}
}

// The report reads what `go test -json` really prints: a module with a
// test that skips, run by the Go toolchain of this machine, ends with the
// skipped test and its reason, and fails under CI=true.
func TestReportReadsRealGoTestOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/skips\n\ngo 1.22\n",
		"skip_test.go": `package skips

import "testing"

func TestPasses(t *testing.T) {}

func TestNeedsADatabase(t *testing.T) { t.Skip("PostgreSQL unreachable at 127.0.0.1:5432") }

func TestTable(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {})
	t.Run("postgres", func(t *testing.T) { t.Skipf("no %s here", "postgres") })
}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "test", "-json", "-count=1", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	stream, err := cmd.Output()
	if err != nil {
		t.Fatalf("go test -json: %v\n%s", err, stream)
	}
	var out strings.Builder
	if code := run(bytes.NewReader(stream), &out, true); code == 0 {
		t.Fatalf("skips under CI=true exit 0:\n%s", out.String())
	}
	report := out.String()
	tail := report[strings.LastIndex(report, "ok  \t"):] // the list comes after every package line
	for _, want := range []string{
		"2 tests skipped (a skipped test did not run):",
		"example.com/skips TestNeedsADatabase: skip_test.go:7: PostgreSQL unreachable at 127.0.0.1:5432",
		"example.com/skips TestTable/postgres: skip_test.go:11: no postgres here",
		"FAIL: tests skipped under CI=true",
	} {
		if !strings.Contains(tail, want) {
			t.Errorf("the report's end lacks %q:\n%s", want, report)
		}
	}
	out.Reset()
	if code := run(bytes.NewReader(stream), &out, false); code != 0 || !strings.Contains(out.String(), "2 tests skipped") {
		t.Fatalf("outside CI a skip is listed but passes: exit %d\n%s", code, out.String())
	}
}
