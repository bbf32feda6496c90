package cli_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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
	runEach(t, srv, notesDefinition(up.URL),
		[]string{"integrations", "create", "-f", "-"},
		[]string{"connections", "add", "notes", "--bearer-token", "secret-of-the-api"},
		[]string{"run", "notes", "create_note", "--param", "text=first"})
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

// An API's answer reaches the operator's terminal through logs show; the
// escape sequences in it are shown, not obeyed: no clipboard write (OSC
// 52), no cleared screen, no line hidden behind a carriage return. Other
// text, accents, a no-break space and tabs, passes as it is.
func TestLogsShowDoesNotPassTerminalControls(t *testing.T) {
	t.Parallel()
	const hostile = "before \x1b]52;c;aGk=\x07\x1b[2J\u009b31m line\rHIDDEN\x08 after, café\u00a0\tok"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, hostile)
	}))
	t.Cleanup(up.Close)
	srv := servertest.Start(t, servertest.Options{})
	runEach(t, srv, notesDefinition(up.URL),
		[]string{"integrations", "create", "-f", "-"},
		[]string{"connections", "add", "notes", "--bearer-token", "token-of-the-notes-api"},
		[]string{"run", "notes", "get_note", "--param", "id=1"})
	var r result
	waitUntil(t, func() bool {
		r = run(t, srv, "", "logs", "--integration", "notes")
		return strings.Contains(r.stdout, "log_")
	})
	id := regexp.MustCompile(`log_\w+`).FindString(r.stdout)
	r = run(t, srv, "", "logs", "show", id)
	if r.code != 0 || !strings.Contains(r.stdout, `before \x1b]52;c;aGk=\x07\x1b[2J\u009b31m line\rHIDDEN\x08 after, café`+"\u00a0\tok") {
		t.Fatalf("logs show: %+v; want the answer with its controls shown as text", r)
	}
	for _, raw := range []string{"\x1b", "\x07", "\r", "\x08", "\u009b"} {
		if strings.Contains(r.stdout, raw) {
			t.Fatalf("logs show passed %q to the terminal:\n%q", raw, r.stdout)
		}
	}
}

// runEach runs the commands in turn, each given stdin, and stops the test
// at the first that fails.
func runEach(t *testing.T, srv *servertest.Instance, stdin string, commands ...[]string) {
	t.Helper()
	for _, args := range commands {
		if r := run(t, srv, stdin, args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
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
