package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// Numbers in params reach the API exactly as the caller wrote them, beyond
// what a float64 holds, in the body, the query and the path; and an
// integer parameter still refuses a fraction, however large.
func TestRunSendsNumbersExactly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	up := echoUpstream(t)
	srv := servertest.Start(t, servertest.Options{})
	def := fmt.Sprintf(`{"name": "Numbers", "baseUrl": %q, "actions": [
		{"name": "Put", "method": "POST", "endpoint": "/items/{id}", "parameters": {
			"id": "integer", "i": "integer", "n": "number", "q": {"type": "integer", "in": "query"},
			"small": {"type": "integer", "maximum": 10}}}]}`, up.URL)
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(def))
	if err != nil {
		t.Fatal(err)
	}
	run := func(params string) (*client.RunResult, error) {
		var res client.RunResult
		err := srv.Client.Do(ctx, http.MethodPost, "/v1/integrations/"+in.ID+"/actions/put/run", json.RawMessage(`{"params": `+params+`}`), &res)
		return &res, err
	}
	res, err := run(`{"id": 9007199254740995, "i": 9007199254740993, "n": 0.10000000000000000555, "q": 18446744073709551615}`)
	if err != nil {
		t.Fatal(err)
	}
	var echo struct {
		Path, Body string
		Query      map[string][]string
	}
	if err := json.Unmarshal(res.Body, &echo); err != nil {
		t.Fatal(err)
	}
	if echo.Body != `{"i":9007199254740993,"n":0.10000000000000000555}` {
		t.Errorf("the API received the body %s", echo.Body)
	}
	if echo.Path != "/items/9007199254740995" || fmt.Sprint(echo.Query["q"]) != "[18446744073709551615]" {
		t.Errorf("the API received the path %s and the query %v", echo.Path, echo.Query)
	}

	for params, want := range map[string]string{
		`{"id": 1, "i": 9007199254740993.5}`: "params.i: must be an integer, got 9007199254740993.5",
		`{"id": 1, "i": 15e-1}`:              "params.i: must be an integer, got 15e-1",
		`{"id": 1, "small": 11}`:             "params.small: must be at most 10",
		`{"id": 1, "n": "7"}`:                "params.n: must be a number, got string",
	} {
		_, err := run(params)
		if pe := problemOf(t, err, http.StatusBadRequest); !strings.Contains(pe.Detail, want) {
			t.Errorf("%s: detail %q does not say %q", params, pe.Detail, want)
		}
	}
}
