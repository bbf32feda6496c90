package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// When the API cannot be reached, the 502 says what happened in terms the
// caller can act on, and leaves out the server's internals: no resolver
// address, no Go error chain. The full error goes to the server's log.
func TestUnreachableUpstreamsAreExplainedWithoutInternals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusing := closed.Addr().String()
	closed.Close()
	hangUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(hangUp.Close)

	cases := []struct {
		name, baseURL, want string
	}{
		{"unknown host", "http://nonexistent-host.invalid", "could not resolve host nonexistent-host.invalid"},
		{"refused", "http://" + refusing, "connection refused by " + refusing},
		{"hung up", hangUp.URL, "the upstream closed the connection"},
	}
	for i, tc := range cases {
		def := fmt.Sprintf(`{"name": "Down %d", "baseUrl": %q, "actions": [{"name": "Ping", "endpoint": "/ping"}]}`, i, tc.baseURL)
		in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(def))
		if err != nil {
			t.Fatal(err)
		}
		_, err = srv.Client.Run(ctx, in.ID, "ping", client.RunInput{Params: map[string]any{}})
		pe := problemOf(t, err, http.StatusBadGateway)
		if !strings.Contains(pe.Detail, tc.want) {
			t.Errorf("%s: detail %q does not say %q", tc.name, pe.Detail, tc.want)
		}
		for _, internal := range []string{"lookup ", ":53", "dial tcp", "outbound:", "read tcp", "EOF", "127.0.0.53"} {
			if strings.Contains(pe.Detail, internal) {
				t.Errorf("%s: detail %q shows %q", tc.name, pe.Detail, internal)
			}
		}
	}
	if !strings.Contains(srv.Logs.String(), "nonexistent-host.invalid") {
		t.Error("the full error was not logged")
	}
}
