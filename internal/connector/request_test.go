package connector

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/version"
)

// shop has an action for every parameter location.
const shop = `{
	"name": "Shop", "baseUrl": "https://shop.test/v1/",
	"environments": {"sandbox": {"baseUrl": "http://127.0.0.1:9/sandbox"}},
	"headers": {"X-Api-Version": "2024-01", "Accept": "application/vnd.shop+json"},
	"actions": [
		{"name": "Get Order", "endpoint": "/orders/{id}", "parameters": {"id": "string"}},
		{"name": "Search", "endpoint": "/orders?channel=web", "parameters": {
			"q": "string", "status": {"type": "array", "items": {"type": "string"}}, "limit": {"type": "integer", "default": 20},
			"X-Request-Id": {"type": "string", "in": "header"}}},
		{"name": "Update Order", "method": "PATCH", "endpoint": "/orders/{id}", "headers": {"X-Api-Version": "2025-01"},
		 "parameters": {"id": "integer", "note": "string", "paid": "boolean", "lines": "array", "dry_run": {"type": "boolean", "in": "query"}}},
		{"name": "Delete Order", "method": "DELETE", "endpoint": "/orders/{id}", "parameters": {"id": "string", "reason": "string"}},
		{"name": "Root", "endpoint": ""}
	]}`

func TestBuild(t *testing.T) {
	t.Parallel()
	d := mustParse(t, shop)
	tests := []struct {
		name, action, env string
		params            map[string]any
		method, url, body string
		header            map[string]string
	}{
		{
			name: "path parameter", action: "get_order", env: Production,
			params: map[string]any{"id": "42"},
			method: "GET", url: "https://shop.test/v1/orders/42",
			header: map[string]string{"Accept": "application/vnd.shop+json", "User-Agent": version.UserAgent, "X-Api-Version": "2024-01"},
		},
		{
			name: "path value cannot leave its segment", action: "get_order", env: Production,
			params: map[string]any{"id": "a/b?c"},
			method: "GET", url: "https://shop.test/v1/orders/a%2Fb%3Fc",
		},
		{
			name: "path value with dots stays escaped", action: "get_order", env: Production,
			params: map[string]any{"id": "v1..2/.x"},
			method: "GET", url: "https://shop.test/v1/orders/v1..2%2F.x",
		},
		{
			name: "sandbox base URL override", action: "get_order", env: Sandbox,
			params: map[string]any{"id": "7"},
			method: "GET", url: "http://127.0.0.1:9/sandbox/orders/7",
		},
		{
			name: "query, repeated array, default, static query and header", action: "search", env: Production,
			params: map[string]any{"q": "a b&c", "status": []any{"open", "paid"}, "X-Request-Id": "r-1"},
			method: "GET", url: "https://shop.test/v1/orders?channel=web&limit=20&q=a+b%26c&status=open&status=paid",
			header: map[string]string{"X-Request-Id": "r-1", "Content-Type": ""},
		},
		{
			name: "JSON body in declared order, action header wins", action: "update_order", env: Production,
			params: map[string]any{"id": 1234567890123, "paid": true, "note": "<fragile>", "lines": []any{1, 2}, "dry_run": false},
			method: "PATCH", url: "https://shop.test/v1/orders/1234567890123?dry_run=false",
			body:   `{"note":"<fragile>","paid":true,"lines":[1,2]}`,
			header: map[string]string{"Content-Type": "application/json", "X-Api-Version": "2025-01"},
		},
		{
			name: "DELETE sends no body", action: "delete_order", env: Production,
			params: map[string]any{"id": "9", "reason": "dup"},
			method: "DELETE", url: "https://shop.test/v1/orders/9?reason=dup",
		},
		{
			name: "empty endpoint is the base URL", action: "root", env: Production,
			method: "GET", url: "https://shop.test/v1/",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, ok := d.Action(tt.action)
			if !ok {
				t.Fatalf("no action %s", tt.action)
			}
			r, err := d.Build(a, tt.env, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != tt.method || r.URL != tt.url || string(r.Body) != tt.body {
				t.Errorf("got %s %s %q\nwant %s %s %q", r.Method, r.URL, r.Body, tt.method, tt.url, tt.body)
			}
			for k, v := range tt.header {
				if got := r.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestBuildJoinsBaseURLWithoutDoubleSlash(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"https://x.test/v1", "https://x.test/v1/"} {
		d := mustParse(t, `{"name":"X","baseUrl":"`+base+`","actions":[{"name":"List","endpoint":"/contacts"}]}`)
		r, err := d.Build(&d.Actions[0], Production, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.URL != "https://x.test/v1/contacts" {
			t.Errorf("%s + /contacts = %s", base, r.URL)
		}
	}
}

func TestBuildRejectsBadParams(t *testing.T) {
	t.Parallel()
	d := mustParse(t, shop)
	a, _ := d.Action("Get Order")
	// A value that reads as a dot segment to a server that decodes twice,
	// or treats "\" or an escaped "/" as a separator, is refused too.
	for _, id := range []any{"", "..", ".", "%2e%2e", "%252E.", "a/../b", `..\x`, "..;x"} {
		_, err := d.Build(a, Production, map[string]any{"id": id})
		assertFieldError(t, err, "params.id", "segment of the path")
	}
	_, err := d.Build(a, Production, nil)
	assertFieldError(t, err, "params.id", "required")

	search, _ := d.Action("search")
	_, err = d.Build(search, Production, map[string]any{"X-Request-Id": "a\r\nX-Admin: 1"})
	assertFieldError(t, err, "params.X-Request-Id", "line breaks")

	if _, err := d.Build(a, "staging", map[string]any{"id": "1"}); err == nil || !strings.Contains(err.Error(), `unknown environment "staging"`) {
		t.Errorf("unknown environment: %v", err)
	}
}

// TestPreparedRequestReachesServer sends a built request to a real server
// and checks what arrives: the escaped path is one segment on the wire.
func TestPreparedRequestReachesServer(t *testing.T) {
	t.Parallel()
	var gotPath, gotKey string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotKey = r.URL.EscapedPath(), r.Header.Get("X-API-Key")
	}))
	defer srv.Close()

	d := mustParse(t, seedJSON)
	d.BaseURL = srv.URL + "/v1"
	a, _ := d.Action("Get Contact")
	prepared, err := d.Build(a, Production, map[string]any{"id": "a/b?c"})
	if err != nil {
		t.Fatal(err)
	}
	req, err := prepared.NewRequest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Auth.Apply(req, Credentials{APIKey: "k-1"}); err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if gotPath != "/v1/contacts/a%2Fb%3Fc" || gotKey != "k-1" {
		t.Errorf("server saw path %q, key %q", gotPath, gotKey)
	}
}
