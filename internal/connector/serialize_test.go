package connector

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The values OpenAPI's own style examples use, with the object's keys in
// the sorted order Plugboard writes them.
var (
	primitive = "blue"
	array     = []any{"blue", "black", "brown"}
	object    = map[string]any{"R": 100, "G": 200, "B": 150}
)

// styled builds a request for one parameter named color with the given
// location, style and explode ("" and nil: the location's defaults).
func styled(t *testing.T, in, style string, explode *bool, v any) *PreparedRequest {
	t.Helper()
	extra := ""
	if style != "" {
		extra += fmt.Sprintf(`, "style": %q`, style)
	}
	if explode != nil {
		extra += fmt.Sprintf(`, "explode": %t`, *explode)
	}
	endpoint := "/p"
	if in == InPath {
		endpoint = "/p/{color}"
	}
	d := mustParse(t, fmt.Sprintf(`{"name": "Styles", "baseUrl": "https://api.test",
		"actions": [{"name": "Paint", "endpoint": %q, "parameters": {"color": {"in": %q%s}}}]}`, endpoint, in, extra))
	r, err := d.Build(&d.Actions[0], Production, map[string]any{"color": v})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestStyleExplodeSerialization(t *testing.T) {
	t.Parallel()
	yes, no := new(bool), new(bool)
	*yes = true
	tests := []struct {
		in, style string
		explode   *bool
		// what the path segment, the raw query or the header is for a
		// primitive, an array and an object
		primitive, array, object string
	}{
		// Path: simple (the default), label, matrix.
		{InPath, "", nil, "blue", "blue,black,brown", "B,150,G,200,R,100"},
		{InPath, StyleSimple, no, "blue", "blue,black,brown", "B,150,G,200,R,100"},
		{InPath, StyleSimple, yes, "blue", "blue,black,brown", "B=150,G=200,R=100"},
		{InPath, StyleLabel, no, ".blue", ".blue,black,brown", ".B,150,G,200,R,100"},
		{InPath, StyleLabel, yes, ".blue", ".blue.black.brown", ".B=150.G=200.R=100"},
		{InPath, StyleMatrix, no, ";color=blue", ";color=blue,black,brown", ";color=B,150,G,200,R,100"},
		{InPath, StyleMatrix, yes, ";color=blue", ";color=blue;color=black;color=brown", ";B=150;G=200;R=100"},
		// Query: form (the default, exploded), the delimited styles and
		// deepObject.
		{InQuery, "", nil, "color=blue", "color=blue&color=black&color=brown", "B=150&G=200&R=100"},
		{InQuery, StyleForm, yes, "color=blue", "color=blue&color=black&color=brown", "B=150&G=200&R=100"},
		{InQuery, StyleForm, no, "color=blue", "color=blue,black,brown", "color=B,150,G,200,R,100"},
		{InQuery, StyleSpaceDelimited, no, "color=blue", "color=blue%20black%20brown", "color=B%20150%20G%20200%20R%20100"},
		{InQuery, StyleSpaceDelimited, yes, "color=blue", "color=blue&color=black&color=brown", "B=150&G=200&R=100"},
		{InQuery, StylePipeDelimited, no, "color=blue", "color=blue%7Cblack%7Cbrown", "color=B%7C150%7CG%7C200%7CR%7C100"},
		{InQuery, StylePipeDelimited, yes, "color=blue", "color=blue&color=black&color=brown", "B=150&G=200&R=100"},
		{InQuery, StyleTabDelimited, no, "color=blue", "color=blue%09black%09brown", "color=B%09150%09G%09200%09R%09100"},
		{InQuery, StyleDeepObject, nil, "color=blue", "color%5B0%5D=blue&color%5B1%5D=black&color%5B2%5D=brown", "color%5BB%5D=150&color%5BG%5D=200&color%5BR%5D=100"},
		// Header: simple.
		{InHeader, "", nil, "blue", "blue,black,brown", "B,150,G,200,R,100"},
		{InHeader, StyleSimple, yes, "blue", "blue,black,brown", "B=150,G=200,R=100"},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s %s explode=%v", tt.in, tt.style, tt.explode)
		if tt.explode != nil {
			name = fmt.Sprintf("%s %s explode=%t", tt.in, tt.style, *tt.explode)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for i, v := range []any{primitive, array, object} {
				want := []string{tt.primitive, tt.array, tt.object}[i]
				r := styled(t, tt.in, tt.style, tt.explode, v)
				var got string
				switch tt.in {
				case InPath:
					got = strings.TrimPrefix(r.URL, "https://api.test/p/")
				case InQuery:
					got = strings.TrimPrefix(r.URL, "https://api.test/p?")
				case InHeader:
					got = r.Header.Get("color")
				}
				if got != want {
					t.Errorf("%v: got %q, want %q", v, got, want)
				}
			}
		})
	}
}

// TestStyleEscapesValuesNotDelimiters: a delimiter inside a value is
// escaped, so the server splits where the style does.
func TestStyleEscapesValuesNotDelimiters(t *testing.T) {
	t.Parallel()
	no := new(bool)
	values := []any{"a b,c", "d|e"}
	cases := []struct {
		in, style, want string
	}{
		{InQuery, StyleForm, "color=a+b%2Cc,d%7Ce"},
		{InQuery, StylePipeDelimited, "color=a+b%2Cc%7Cd%7Ce"},
		{InPath, StyleSimple, "a%20b%2Cc,d%7Ce"},
	}
	for _, c := range cases {
		r := styled(t, c.in, c.style, no, values)
		got := r.URL[strings.IndexAny(r.URL[len("https://api.test/p"):], "?/")+len("https://api.test/p")+1:]
		if got != c.want {
			t.Errorf("%s %s: got %q, want %q", c.in, c.style, got, c.want)
		}
	}
	// An empty array or object is left out, in every style.
	for _, style := range []string{StyleForm, StylePipeDelimited, StyleDeepObject} {
		for _, empty := range []any{[]any{}, map[string]any{}} {
			if r := styled(t, InQuery, style, nil, empty); r.URL != "https://api.test/p" {
				t.Errorf("%s %v: %s", style, empty, r.URL)
			}
		}
	}
	// Stripe's deepObject filters nest.
	r := styled(t, InQuery, StyleDeepObject, nil, map[string]any{"created": map[string]any{"gt": 1700000000}, "limit": 3})
	if want := "https://api.test/p?color%5Bcreated%5D%5Bgt%5D=1700000000&color%5Blimit%5D=3"; r.URL != want {
		t.Errorf("nested deepObject: got %s, want %s", r.URL, want)
	}
}

// echo is a loopback upstream that keeps the last request's raw query,
// Content-Type and body.
type echo struct {
	*httptest.Server
	query, contentType string
	body               []byte
}

func newEcho(t *testing.T) *echo {
	e := &echo{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.query, e.contentType = r.URL.RawQuery, r.Header.Get("Content-Type")
		e.body, _ = io.ReadAll(r.Body)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *echo) send(t *testing.T, d *Definition, key string, params map[string]any) {
	t.Helper()
	d.BaseURL = e.URL
	a, ok := d.Action(key)
	if !ok {
		t.Fatalf("no action %s", key)
	}
	prepared, err := d.Build(a, Production, params)
	if err != nil {
		t.Fatal(err)
	}
	req, err := prepared.NewRequest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

const bodies = `{"name": "Bodies", "baseUrl": "https://api.test", "actions": [
	{"name": "Create Customer", "method": "POST", "endpoint": "/customers", "body_type": "form",
	 "parameters": {"name": "string", "metadata": "object", "items": "array", "expand": "array", "paid": "boolean",
	   "events": {"type": "array", "style": "form"}, "fields": {"type": "array", "style": "form", "explode": false}}},
	{"name": "Update Whole", "method": "PUT", "endpoint": "/whole", "bodyType": "form",
	 "parameters": {"body": {"type": "object"}}},
	{"name": "Upload", "method": "POST", "endpoint": "/files", "body_type": "multipart",
	 "parameters": {"file": {"type": "string", "format": "binary", "contentMediaType": "image/png", "required": true},
	   "purpose": "string", "tags": "array", "meta": "object", "count": "integer"}},
	{"name": "Create Json", "method": "POST", "endpoint": "/json", "parameters": {"name": "string"}}
]}`

func TestFormBody(t *testing.T) {
	t.Parallel()
	d := mustParse(t, bodies)
	e := newEcho(t)
	e.send(t, d, "create_customer", map[string]any{
		"name":     "Jo Ann & co",
		"metadata": map[string]any{"plan": "pro", "seats": 3},
		"items":    []any{map[string]any{"price": "price_1", "quantity": 2}},
		"expand":   []any{"customer", "invoice"},
		"paid":     false,
		"events":   []any{"sent", "delivered"},
		"fields":   []any{"id", "name"},
	})
	want := "name=Jo+Ann+%26+co" +
		"&metadata%5Bplan%5D=pro&metadata%5Bseats%5D=3" +
		"&items%5B0%5D%5Bprice%5D=price_1&items%5B0%5D%5Bquantity%5D=2" +
		"&expand%5B0%5D=customer&expand%5B1%5D=invoice" +
		"&paid=false" +
		"&events=sent&events=delivered" +
		"&fields=id,name"
	if string(e.body) != want || e.contentType != "application/x-www-form-urlencoded" {
		t.Errorf("form body %s (%s)\nwant      %s", e.body, e.contentType, want)
	}

	// A lone "body" object is the form's fields.
	e.send(t, d, "update_whole", map[string]any{"body": map[string]any{"b": "2", "a": []any{"x"}}})
	if got := string(e.body); got != "a%5B0%5D=x&b=2" {
		t.Errorf("whole form body = %s", got)
	}

	// JSON stays the default.
	e.send(t, d, "create_json", map[string]any{"name": "x"})
	if string(e.body) != `{"name":"x"}` || e.contentType != "application/json" {
		t.Errorf("json body %s (%s)", e.body, e.contentType)
	}
}

func TestMultipartBody(t *testing.T) {
	t.Parallel()
	d := mustParse(t, bodies)
	e := newEcho(t)
	png := []byte("\x89PNG\r\n\x1a\nnot really")
	e.send(t, d, "upload", map[string]any{
		"file":    base64.StdEncoding.EncodeToString(png),
		"purpose": "avatar",
		"tags":    []any{"a", "b"},
		"meta":    map[string]any{"k": "v"},
		"count":   2,
	})
	mediaType, params, err := mime.ParseMediaType(e.contentType)
	if err != nil || mediaType != "multipart/form-data" {
		t.Fatalf("Content-Type %q: %v", e.contentType, err)
	}
	type part struct{ name, filename, contentType, body string }
	var got []part
	r := multipart.NewReader(strings.NewReader(string(e.body)), params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		got = append(got, part{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), string(b)})
	}
	want := []part{
		{"file", "file", "image/png", string(png)},
		{"purpose", "", "", "avatar"},
		{"tags", "", "", "a"},
		{"tags", "", "", "b"},
		{"meta", "", "application/json", `{"k":"v"}`},
		{"count", "", "", "2"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parts\n got %q\nwant %q", got, want)
	}

	_, err = d.Build(action(t, d, "upload"), Production, map[string]any{"file": "not base64!"})
	if err == nil || !strings.Contains(err.Error(), "base64") {
		t.Errorf("a file that is not base64: %v", err)
	}
}

func action(t *testing.T, d *Definition, key string) *Action {
	t.Helper()
	a, ok := d.Action(key)
	if !ok {
		t.Fatalf("no action %s", key)
	}
	return a
}

func TestBodyTypeRoundTrips(t *testing.T) {
	t.Parallel()
	d := mustParse(t, bodies)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"body_type":"form"`, `"body_type":"multipart"`, `"style":"form","explode":false`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("stored definition lacks %s: %s", want, b)
		}
	}
	again := mustParse(t, string(b))
	if again.Actions[0].BodyType != BodyForm || again.Actions[3].BodyType != "" {
		t.Errorf("body types read back as %q, %q", again.Actions[0].BodyType, again.Actions[3].BodyType)
	}
}

// TestFileParameterSchemaSaysBase64: agents see that a multipart file is
// given base64-encoded.
func TestFileParameterSchemaSaysBase64(t *testing.T) {
	t.Parallel()
	d := mustParse(t, bodies)
	got := string(action(t, d, "upload").InputSchemaJSON())
	if !strings.Contains(got, `"file":{"type":"string","description":"A file's content, base64-encoded.","contentEncoding":"base64","contentMediaType":"image/png","format":"binary"}`) {
		t.Errorf("upload input schema: %s", got)
	}
}
