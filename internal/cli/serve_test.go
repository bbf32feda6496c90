package cli_test

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/cli"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestServeRefusesAWeakAdminToken checks that the server does not start
// with a guessable owner key, and says which variable to fix and how.
func TestServeRefusesAWeakAdminToken(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := cli.Main([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--admin-token", "admin"}, strings.NewReader(""), &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "PLUGBOARD_ADMIN_TOKEN") || !strings.Contains(errb.String(), "openssl rand -hex 32") {
		t.Fatalf("serve with admin token \"admin\": exit %d, stderr %q", code, errb.String())
	}
}

func TestServeHelpListsOnlyServerFlags(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := cli.Main([]string{"serve", "--help"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("serve --help exits %d: %s", code, errb.String())
	}
	help := out.String()
	for _, client := range []string{"--server", "--token ", "--output", "Global Flags"} {
		if strings.Contains(help, client) {
			t.Errorf("serve --help shows %q, a flag of the client commands:\n%s", client, help)
		}
	}
	if !strings.Contains(help, "--addr") || !strings.Contains(help, "--data-dir") {
		t.Fatalf("serve --help misses the server's flags:\n%s", help)
	}
}

// At the default level a start shows the banner and the server's own
// lines; what libraries announce while starting is at debug level.
func TestServeStartsWithoutLibraryChatter(t *testing.T) {
	t.Parallel()
	for _, level := range []string{"info", "debug"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ctx, stop := context.WithCancel(context.Background())
		var out, errb servertest.SyncBuffer
		done := make(chan int)
		go func() {
			done <- cli.Run(ctx, []string{"serve", "--addr", addr, "--data-dir", t.TempDir(), "--log-level", level}, strings.NewReader(""), &out, &errb)
		}()
		waitFor(t, &out, regexp.MustCompile(`/signin/first\?token=`))
		waitUntil(t, func() bool {
			return strings.Contains(errb.String(), "River client started") || strings.Contains(errb.String(), "plugboard is serving")
		})
		stop()
		if code := <-done; code != 0 {
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
		for _, line := range []string{"registered route", "Applied migration"} {
			chatter := strings.Contains(errb.String(), line)
			if level == "info" && chatter {
				t.Errorf("at level info, a library's start-up line %q shows:\n%s", line, errb.String())
			}
			if level == "debug" && !chatter {
				t.Errorf("at level debug, the library's line %q is gone (the test would prove nothing):\n%s", line, errb.String())
			}
		}
	}
}

func TestServeRefusesAGCPercentOfZero(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := cli.Main([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--gc-percent", "0"}, strings.NewReader(""), &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "--gc-percent must be above 0") {
		t.Fatalf("serve --gc-percent 0: exit %d, stderr %q", code, errb.String())
	}
}
