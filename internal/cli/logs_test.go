package cli_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/cli"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

func TestLogsListShowAndFollow(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	up := echoAPI(t)
	for _, args := range [][]string{
		{"integrations", "create", "-f", "-"},
		{"connections", "add", "notes", "--bearer-token", "secret-of-the-api"},
		{"run", "notes", "create_note", "--param", "text=first"},
	} {
		if r := run(t, srv, notesDefinition(up.URL), args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	line := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(log_\w+)\s+int_\w+\s+create_note\s+sandbox\s+api\s+201\s+\d+ms$`)
	var id string
	waitUntil(t, func() bool {
		r := run(t, srv, "", "logs", "--integration", "notes", "--status", "ok", "--since", "1h")
		if m := line.FindStringSubmatch(r.stdout); m != nil && strings.HasPrefix(r.stdout, "TIME ") {
			id = m[1]
			return true
		}
		return false
	})
	if r := run(t, srv, "", "logs", "--integration", "notes", "--status", "error"); r.code != 0 || strings.Contains(r.stdout, "log_") {
		t.Fatalf("logs --status error lists a call that succeeded: %+v", r)
	}
	if r := run(t, srv, "", "logs", "--status", "nonsense"); r.code != 1 || !strings.Contains(r.stderr, "status must be ok, error or an HTTP status") {
		t.Fatalf("logs with a bad filter: %+v", r)
	}

	r := run(t, srv, "", "logs", "show", id)
	if r.code != 0 || !strings.Contains(r.stdout, "POST "+up.URL+"/notes") || !strings.Contains(r.stdout, `"text":"first"`) || !strings.Contains(r.stdout, "status: 201") {
		t.Fatalf("logs show: %+v", r)
	}
	if strings.Contains(r.stdout, "secret-of-the-api") {
		t.Fatalf("logs show printed the credential:\n%s", r.stdout)
	}
	if r = run(t, srv, "", "logs", "show", "log_nope"); r.code != 3 {
		t.Fatalf("logs show of an unknown id: %+v", r)
	}

	ctx, stop := context.WithCancel(context.Background())
	var out, errb servertest.SyncBuffer
	done := make(chan int)
	go func() {
		done <- cli.Run(ctx, []string{"logs", "--follow", "--interval", "50ms", "--server", srv.URL, "--token", srv.Token}, strings.NewReader(""), &out, &errb)
	}()
	waitFor(t, &out, regexp.MustCompile(regexp.QuoteMeta(id)))
	if r := run(t, srv, "", "run", "notes", "get_note", "--param", "id=7"); r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	waitFor(t, &out, regexp.MustCompile(`(?m)^.*\sget_note\s+sandbox\s+api\s+201\s`))
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("logs --follow exited %d: %s", code, errb.String())
	}
	if n := strings.Count(out.String(), id); n != 1 {
		t.Fatalf("--follow printed the first call %d times:\n%s", n, out.String())
	}
}

// waitUntil polls ok; the deadline only stops a hung test.
func waitUntil(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
