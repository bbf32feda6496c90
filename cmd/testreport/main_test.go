package main

import (
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
