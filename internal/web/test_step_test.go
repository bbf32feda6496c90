package web_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// The test step says which connection a run uses: none needed, none yet
// (with where to add one), or the one there is.
func TestTestStepNamesItsConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := servertest.Start(t, servertest.Options{})
	site := srv.SignInOwner(t)
	create := func(auth string) string {
		in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(`{"name": "API `+auth+`", "baseUrl": "https://api.example.com",
			"auth": {"type": "`+auth+`"}, "actions": [{"name": "Ping", "endpoint": "/ping"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return in.ID
	}
	page := func(id string) string {
		t.Helper()
		code, body := site.Get("/integrations/" + id + "/test")
		if code != 200 {
			t.Fatalf("test step of %s: %d", id, code)
		}
		return body
	}
	open := create("none")
	if p := page(open); !strings.Contains(p, "This API needs no credentials.") || strings.Contains(p, "add one under") {
		t.Fatalf("an API without auth:\n%s", p)
	}
	bearer := create("bearer")
	if p := page(bearer); !strings.Contains(p, "There is no sandbox connection yet; add one under") {
		t.Fatalf("an API without its connection:\n%s", p)
	}
	conn, err := srv.Client.AddConnection(ctx, bearer, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"token": "t0ken-of-the-api"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := page(bearer); !strings.Contains(p, "Runs use the sandbox connection: <code>"+conn.ID+"</code> (active)") || strings.Contains(p, "add one under") {
		t.Fatalf("an API with its connection:\n%s", p)
	}
}
