package auth_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/cli"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

func TestCLIAuthorizePrintsTheURLAndWaits(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "authorization_code")
	conn, err := s.pb.Client.AddConnection(context.Background(), s.inID, client.ConnectionInput{Environment: "sandbox",
		Credentials: map[string]string{"client_id": webClient, "client_secret": webSecret}})
	if err != nil {
		t.Fatal(err)
	}
	out, w := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		defer w.Close()
		done <- cli.Main([]string{"connections", "authorize", s.inID, conn.ID, "--server", s.pb.URL, "--token", s.pb.Token, "--poll", "20ms"},
			strings.NewReader(""), w, &stderr)
	}()
	lines := bufio.NewScanner(out)
	var link string
	for link == "" && lines.Scan() {
		if l := strings.TrimSpace(lines.Text()); strings.HasPrefix(l, "http") {
			link = l
		}
	}
	if link == "" {
		t.Fatalf("no URL printed; stderr: %s", stderr.String())
	}
	if status, page := newBrowser(t).authorize(link); status != http.StatusOK {
		t.Fatalf("callback: %d %s", status, page)
	}
	var rest strings.Builder
	for lines.Scan() {
		rest.WriteString(lines.Text() + "\n")
	}
	if code := <-done; code != 0 || !strings.Contains(rest.String(), "is active") {
		t.Fatalf("exit %d, output %q, stderr %q", code, rest.String(), stderr.String())
	}
}

func TestCLIAuthorizeReportsARefusal(t *testing.T) {
	t.Parallel()
	s := newSetup(t, servertest.Options{}, "authorization_code")
	conn, err := s.pb.Client.AddConnection(context.Background(), s.inID, client.ConnectionInput{Environment: "sandbox",
		Credentials: map[string]string{"client_id": webClient, "client_secret": webSecret}})
	if err != nil {
		t.Fatal(err)
	}
	out, w := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		defer w.Close()
		done <- cli.Main([]string{"connections", "authorize", s.inID, conn.ID, "--server", s.pb.URL, "--token", s.pb.Token, "--poll", "20ms"},
			strings.NewReader(""), w, &stderr)
	}()
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if l := strings.TrimSpace(lines.Text()); strings.HasPrefix(l, "http") {
			state := l[strings.Index(l, "state=")+len("state="):]
			state, _, _ = strings.Cut(state, "&")
			get(t, s.pb.URL+"/oauth/callback?error=access_denied&state="+state)
			break
		}
	}
	go io.Copy(io.Discard, out)
	if code := <-done; code != 1 || !strings.Contains(stderr.String(), "access_denied") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
