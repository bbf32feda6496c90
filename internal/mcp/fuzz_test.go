package mcp

import (
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
)

// fuzzDefinition has a parameter in every place an argument can go.
const fuzzDefinition = `{"name": "Fuzz", "baseUrl": "https://api.example.com/v1", "auth": {"type": "none"}, "actions": [
 {"key": "put_item", "name": "Put Item", "method": "PUT", "endpoint": "/items/{id}/tags/{tag}?fixed=1", "parameters": [
  {"name": "id", "type": "string", "required": true},
  {"name": "tag", "type": "integer"},
  {"name": "q", "in": "query", "type": "array", "items": {"type": "string"}},
  {"name": "X-Trace", "in": "header", "type": "string"},
  {"name": "n", "type": "number"},
  {"name": "flag", "type": "boolean"},
  {"name": "doc", "type": "object"}
 ]}]}`

// FuzzToolArguments sends fuzzed arguments to a tool as a model would.
// Whatever a model sends, reading them and building the request must not
// panic, and the request must go to the integration's API under its base
// path, with no argument able to add a header or leave the path segment
// it fills.
func FuzzToolArguments(f *testing.F) {
	def, err := connector.Parse([]byte(fuzzDefinition))
	if err != nil {
		f.Fatal(err)
	}
	a := &def.Actions[0]
	for _, seed := range []string{
		`{"id": "abc", "tag": 7, "q": ["a", "b"], "X-Trace": "t-1", "n": 1.5, "flag": true, "doc": {"k": [1, 2]}}`,
		`{"id": "../../admin", "tag": 1}`,
		`{"id": "%2e%2e%2fadmin", "X-Trace": "a\r\nX-Injected: 1"}`,
		`{"id": "a/b?c#d", "q": ["x&y=z"]}`,
		`{"id": "x", "n": 9007199254740993, "tag": 1e400}`,
		`{"id": "x", "doc": {"a": {"b": {"c": {"d": {}}}}}}`,
		`{"id": ""}`,
		`null`,
		`[]`,
		`{"id": "x"} trailing`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		params, err := arguments(raw)
		if err != nil {
			return
		}
		req, err := def.Build(a, connector.Sandbox, params)
		if err != nil {
			return
		}
		u, err := url.Parse(req.URL)
		if err != nil {
			t.Fatalf("built an unparsable URL %q: %v", req.URL, err)
		}
		if u.Scheme != "https" || u.Host != "api.example.com" {
			t.Fatalf("the request left the API: %s", req.URL)
		}
		if !strings.HasPrefix(u.EscapedPath(), "/v1/items/") {
			t.Fatalf("the request left the base path: %s", req.URL)
		}
		segments := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/v1/"), "/")
		if len(segments) != 4 || segments[0] != "items" || segments[2] != "tags" {
			t.Fatalf("an argument changed the path's shape: %s", u.EscapedPath())
		}
		for _, seg := range segments {
			if p, _ := url.PathUnescape(seg); p == "." || p == ".." {
				t.Fatalf("an argument filled a segment with %q: %s", p, req.URL)
			}
		}
		for name, vs := range req.Header {
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Fatalf("header %s carries a line break: %q", name, v)
				}
			}
		}
	})
}
