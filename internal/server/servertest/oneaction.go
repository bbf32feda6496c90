package servertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// OneAction starts a server with an integration whose one action, ping,
// calls api, and returns the server and a request that runs the action
// with the owner's key.
func OneAction(t testing.TB, api http.HandlerFunc) (*Instance, *http.Request) {
	t.Helper()
	up := httptest.NewServer(api)
	t.Cleanup(up.Close)
	srv := Start(t, Options{})
	in, err := srv.Client.CreateIntegration(context.Background(), json.RawMessage(fmt.Sprintf(
		`{"name": "Pinged", "baseUrl": %q, "actions": [{"name": "Ping", "endpoint": "/ping"}]}`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/v1/integrations/"+in.ID+"/actions/ping/run", strings.NewReader(`{"params": {}}`))
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	return srv, req
}

// RunTraced runs an action of a fresh server whose API records the
// traceparent it receives, sending the run with traceparent, and returns
// what the API saw.
func RunTraced(t testing.TB, traceparent string) string {
	t.Helper()
	upstreamSaw := make(chan string, 1)
	_, req := OneAction(t, func(w http.ResponseWriter, r *http.Request) {
		upstreamSaw <- r.Header.Get("Traceparent")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	req.Header.Set("Traceparent", traceparent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("run: %v %v", resp, err)
	}
	resp.Body.Close()
	return <-upstreamSaw
}
