package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestSlowBodiesAreCutOff trickles a request body a byte at a time, as a
// slow-loris client does: once the body deadline passes the server answers
// 408 and closes the connection, on webhook intake and on the API alike.
func TestSlowBodiesAreCutOff(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) { c.BodyTimeout = 300 * time.Millisecond }})
	wh, err := srv.Client.CreateWebhook(context.Background(), client.WebhookInput{Name: "Slow", Source: "github", Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.URL, "http://")
	for _, path := range []string{"/hooks/" + wh.ID, "/v1/integrations"} {
		t.Run(path, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", path, addr, srv.Token)
			// The client would trickle for a minute; the server must not
			// wait that long.
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for range 600 {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
					if _, err := conn.Write([]byte(" ")); err != nil {
						return
					}
				}
			}()
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer while the body trickled: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "did not arrive within 300ms") {
				t.Fatalf("%d %s, want 408 saying the body was too slow", resp.StatusCode, body)
			}
			if _, err := conn.Read(make([]byte, 1)); err == nil {
				t.Fatal("the connection stays open after the slow body")
			}
		})
	}
}

// TestBodyDeadlineSparesSlowAnswers sends a body at once to an action
// whose API answers after the body deadline: the deadline covers reading
// the body, never the work or the answer after it.
func TestBodyDeadlineSparesSlowAnswers(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Second)
		_, _ = w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(up.Close)
	srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) { c.BodyTimeout = 200 * time.Millisecond }})
	ctx := context.Background()
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(`{"name": "Slow API", "baseUrl": %q, "actions": [{"key": "wait", "name": "Wait", "method": "POST", "endpoint": "/wait", "parameters": {"note": "string"}}]}`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client.Run(ctx, in.ID, "wait", client.RunInput{Params: map[string]any{"note": "take your time"}})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("a call answered after the body deadline: %+v %v", res, err)
	}
}
