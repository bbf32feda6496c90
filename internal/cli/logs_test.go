package cli_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/cli"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

func TestLogsListShowAndFollow(t *testing.T) {
	t.Parallel()
	up := echoAPI(t)
	srv := notesServer(t, up.URL, "secret-of-the-api")
	runEach(t, srv, "", []string{"run", "notes", "create_note", "--param", "text=first"})
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
	srv := notesServer(t, up.URL, "token-of-the-notes-api")
	runEach(t, srv, "", []string{"run", "notes", "get_note", "--param", "id=1"})
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

// --follow prints each call made after it started once, a burst of more
// calls than one look reads included, and none made before: not even those
// the listing's --limit left out.
func TestLogsFollowShowsEveryNewCallAndNoOldOne(t *testing.T) {
	t.Parallel()
	srv := notesServer(t, echoAPI(t).URL, "token-of-the-notes-api")
	ctx := context.Background()
	call := func() string {
		res, err := srv.Client.Run(ctx, "notes", "create_note", client.RunInput{Params: map[string]any{"text": "x"}})
		if err != nil {
			t.Error(err)
			return ""
		}
		return res.LogID
	}
	old := []string{call(), call(), call()}
	srv.Server.Recorder.Flush(ctx)

	fctx, stop := context.WithCancel(ctx)
	var out, errb servertest.SyncBuffer
	done := make(chan int)
	go func() {
		done <- cli.Run(fctx, []string{"logs", "--follow", "--limit", "1", "--interval", "2s", "--server", srv.URL, "--token", srv.Token}, strings.NewReader(""), &out, &errb)
	}()
	first := call()
	waitFor(t, &out, regexp.MustCompile(regexp.QuoteMeta(first)))
	// Right after a look: the whole burst lands before the next one.
	burst := make([]string, 450)
	var wg sync.WaitGroup
	for w := range 10 {
		wg.Go(func() {
			for i := w; i < len(burst); i += 10 {
				burst[i] = call()
			}
		})
	}
	wg.Wait()
	for _, id := range burst {
		waitFor(t, &out, regexp.MustCompile(regexp.QuoteMeta(id)))
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("logs --follow exited %d: %s", code, errb.String())
	}
	text := out.String()
	if n := strings.Count(text, old[2]); n != 1 {
		t.Errorf("the call the listing showed appears %d times, want once", n)
	}
	for _, id := range old[:2] {
		if strings.Contains(text, id) {
			t.Errorf("--follow printed %s, a call made before it started", id)
		}
	}
	for _, id := range append(burst, first) {
		if n := strings.Count(text, id); n != 1 {
			t.Errorf("call %s printed %d times, want once", id, n)
		}
	}
	if errb.String() != "" {
		t.Errorf("stderr: %s", errb.String())
	}
}

// notesServer starts a server with the notes integration on the API at
// baseURL, connected with token in the sandbox.
func notesServer(t *testing.T, baseURL, token string) *servertest.Instance {
	t.Helper()
	srv := servertest.Start(t, servertest.Options{})
	runEach(t, srv, notesDefinition(baseURL),
		[]string{"integrations", "create", "-f", "-"},
		[]string{"connections", "add", "notes", "--bearer-token", token})
	return srv
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
