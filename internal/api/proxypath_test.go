package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// The raw proxy never lets a path climb out of the base URL: a dot segment
// hidden under any depth of percent-encoding, in any case, or behind a
// backslash is refused with a 400 that says why, and the API is not
// called. Ordinary paths reach the API exactly as sent.
func TestProxyRefusesEncodedDotSegments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var calls atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		echo(w, r)
	}))
	t.Cleanup(up.Close)
	srv := servertest.Start(t, servertest.Options{})
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(
		`{"name": "Base", "baseUrl": %q, "actions": [{"name": "Ping", "endpoint": "/ping"}]}`, up.URL+"/base")))
	if err != nil {
		t.Fatal(err)
	}

	refused := []string{
		"%252e%252e/admin",
		"%252E%252e/admin",
		".%252e/admin",
		"%252e./admin",
		"x/%252e/admin",
		"%25252e%25252e/admin",
		"a/%252e%252e%252fadmin",
		"a%252f%252e%252e/admin",
		"..%5cadmin",
		"%2e%2e%5cadmin",
		"a%255c..%255cadmin",
		"..;/admin",
		"%252e%252e",
	}
	for _, path := range refused {
		status, body := proxyGet(t, srv, in.ID, path)
		if status != http.StatusBadRequest || !strings.Contains(body, "dot segment") {
			t.Errorf("proxy/%s: %d %s, want a 400 about the dot segment", path, status, body)
		}
	}
	// Once decoded, %2e%2e is a dot segment of the request's own path,
	// which the router cleans away before the proxy sees it.
	if status, _ := proxyGet(t, srv, in.ID, "%2e%2e/admin"); status < 300 {
		t.Errorf("proxy/%%2e%%2e/admin answered %d", status)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the API was called %d times for refused paths", n)
	}

	passed := map[string]string{
		"things/7":             "/base/things/7",
		"files/report.v1.json": "/base/files/report.v1.json",
		"a/.../b":              "/base/a/.../b",
		"users/a%2Fb":          "/base/users/a%2Fb",
		"q/100%25":             "/base/q/100%25",
	}
	for path, want := range passed {
		status, body := proxyGet(t, srv, in.ID, path)
		var echo struct{ Path string }
		_ = json.Unmarshal([]byte(body), &echo)
		if status != http.StatusOK || echo.Path != want {
			t.Errorf("proxy/%s: %d, the API saw %q, want %q", path, status, echo.Path, want)
		}
	}
}
