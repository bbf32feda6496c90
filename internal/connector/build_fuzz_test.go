package connector

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// fuzzAPI has a parameter in every place a value can go: two path
// segments (one shared with a literal suffix), the query, a header and a
// JSON body.
const fuzzAPI = `{"name": "Fuzz", "baseUrl": "https://api.example.com/v1", "actions": [
	{"name": "Update", "method": "POST", "endpoint": "/orgs/{org}/items/{id}.json?v=2", "parameters": {
		"org": "string", "id": "integer",
		"q": {"type": "array", "items": {"type": "string"}, "in": "query"},
		"X-Trace": {"type": "string", "in": "header"},
		"n": "number", "tags": "array", "meta": "object", "flag": "boolean", "note": {"type": ["string", "null"]}}}]}`

// FuzzBuild builds requests from arbitrary params (decoded as the API
// decodes them, with exact numbers) and checks what would be sent: the
// base URL's origin and path, each path value escaped into its own
// segment and reading back exactly, no dot segment at any decoding depth,
// headers without line breaks, and a body that holds the params exactly.
func FuzzBuild(f *testing.F) {
	for _, seed := range []string{
		`{"org": "acme", "id": 7}`,
		`{"org": "a/b?c#d", "id": 9007199254740993, "n": 0.10000000000000000555, "q": ["x", "y&z"], "X-Trace": "t"}`,
		`{"org": "..", "id": 1}`, `{"org": "%2e%2e", "id": 1}`, `{"org": "a\\..", "id": 1}`,
		`{"org": "x", "id": 1.5}`, `{"org": "x", "id": 1e2, "tags": [1, "a", null], "meta": {"k": [true]}, "flag": false, "note": null}`,
		`{"org": "x", "id": 1, "X-Trace": "a\r\nInjected: 1"}`, `{"org": "@evil.example", "id": -0}`,
	} {
		f.Add([]byte(seed))
	}
	d, err := Parse([]byte(fuzzAPI))
	if err != nil {
		f.Fatal(err)
	}
	a := &d.Actions[0]
	f.Fuzz(func(t *testing.T, raw []byte) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var params map[string]any
		if dec.Decode(&params) != nil {
			return
		}
		req, err := d.Build(a, Production, params)
		if err != nil {
			return
		}
		u, err := url.Parse(req.URL)
		if err != nil {
			t.Fatalf("built URL %q does not parse: %v", req.URL, err)
		}
		if u.Scheme != "https" || u.Host != "api.example.com" || u.User != nil || u.Fragment != "" {
			t.Fatalf("built URL %q left the base URL's origin", req.URL)
		}
		segs := strings.Split(u.EscapedPath(), "/")
		if len(segs) != 6 || segs[1] != "v1" || segs[2] != "orgs" || segs[4] != "items" || !strings.HasSuffix(segs[5], ".json") {
			t.Fatalf("built path %q is not /v1/orgs/{org}/items/{id}.json", u.EscapedPath())
		}
		for seg, name := range map[string]string{segs[3]: "org", strings.TrimSuffix(segs[5], ".json"): "id"} {
			if got, err := url.PathUnescape(seg); err != nil || got != scalarString(params[name]) {
				t.Fatalf("path value %s = %#v was sent as %q", name, params[name], seg)
			}
		}
		if CheckSegments(u.EscapedPath()) != nil {
			t.Fatalf("built path %q has a dot segment once decoded", u.EscapedPath())
		}
		query := u.Query()
		if query.Get("v") != "2" || !reflect.DeepEqual(query["q"], stringsOf(params["q"])) {
			t.Fatalf("built query %q from %#v", u.RawQuery, params["q"])
		}
		for name, vals := range req.Header {
			for _, v := range vals {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Fatalf("header %s carries a line break: %q", name, v)
				}
			}
		}
		checkBody(t, req.Body, params)
	})
}

// checkBody requires the body to be the params that go there, exactly.
func checkBody(t *testing.T, body []byte, params map[string]any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var got map[string]any
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", body, err)
	}
	want := map[string]any{}
	for _, name := range []string{"n", "tags", "meta", "flag", "note"} {
		if v, ok := params[name]; ok && v != nil {
			want[name] = v
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body %s, want the params %#v", body, want)
	}
}

func stringsOf(v any) []string {
	var out []string
	list, ok := plain(v).([]any)
	if !ok {
		list = []any{v}
	}
	for _, item := range list {
		if v != nil {
			out = append(out, scalarString(item))
		}
	}
	return out
}
