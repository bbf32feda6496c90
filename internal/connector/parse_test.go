package connector

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// seedJSON is the "Custom CRM" example from the product page, verbatim.
const seedJSON = `{
  "name": "Custom CRM",
  "baseUrl": "https://api.customcrm.com/v1",
  "auth": {
    "type": "api_key",
    "location": "header",
    "key": "X-API-Key"
  },
  "actions": [
    {
      "name": "Create Contact",
      "method": "POST",
      "endpoint": "/contacts",
      "parameters": {
        "name": "string",
        "email": "string",
        "phone": "string"
      }
    },
    {
      "name": "Get Contact",
      "method": "GET",
      "endpoint": "/contacts/{id}",
      "parameters": {
        "id": "string"
      }
    }
  ]
}`

func mustParse(t *testing.T, raw string) *Definition {
	t.Helper()
	d, err := Parse([]byte(raw))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

func TestParseSeed(t *testing.T) {
	t.Parallel()
	d := mustParse(t, seedJSON)

	if d.Name != "Custom CRM" || d.BaseURL != "https://api.customcrm.com/v1" {
		t.Errorf("name, baseUrl = %q, %q", d.Name, d.BaseURL)
	}
	wantAuth := Auth{Type: AuthAPIKey, Location: InHeader, Key: "X-API-Key"}
	if !reflect.DeepEqual(d.Auth, wantAuth) {
		t.Errorf("auth = %+v, want %+v", d.Auth, wantAuth)
	}
	str := map[string]any{"type": "string"}
	want := []Action{
		{Key: "create_contact", Name: "Create Contact", Method: "POST", Endpoint: "/contacts", Parameters: Params{
			{Name: "name", In: InBody, Schema: str},
			{Name: "email", In: InBody, Schema: str},
			{Name: "phone", In: InBody, Schema: str},
		}},
		{Key: "get_contact", Name: "Get Contact", Method: "GET", Endpoint: "/contacts/{id}", Parameters: Params{
			{Name: "id", In: InPath, Required: true, Schema: str},
		}},
	}
	if !reflect.DeepEqual(d.Actions, want) {
		t.Errorf("actions =\n%+v\nwant\n%+v", d.Actions, want)
	}
}

func TestParseSeedFileMatchesConstant(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/custom-crm.json")
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustParse(t, string(raw)), mustParse(t, seedJSON)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("testdata/custom-crm.json and seedJSON differ")
	}
}

func TestParseAcceptsSpellings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want func(*Definition) bool
	}{
		{"base_url", `{"name":"A","base_url":"https://a.test","actions":[{"name":"X"}]}`,
			func(d *Definition) bool { return d.BaseURL == "https://a.test" }},
		{"baseURL", `{"name":"A","baseURL":"https://a.test","actions":[{"name":"X"}]}`,
			func(d *Definition) bool { return d.BaseURL == "https://a.test" }},
		{"docsUrl", `{"name":"A","baseUrl":"https://a.test","docsUrl":"https://docs.a.test","actions":[{"name":"X"}]}`,
			func(d *Definition) bool { return d.DocumentationURL == "https://docs.a.test" }},
		{"apiDocumentationUrl", `{"name":"A","baseUrl":"https://a.test","apiDocumentationUrl":"https://docs.a.test","actions":[{"name":"X"}]}`,
			func(d *Definition) bool { return d.DocumentationURL == "https://docs.a.test" }},
		{"documentation_url", `{"name":"A","baseUrl":"https://a.test","documentation_url":"https://docs.a.test","actions":[{"name":"X"}]}`,
			func(d *Definition) bool { return d.DocumentationURL == "https://docs.a.test" }},
		{"test_action and timeout_seconds", `{"name":"A","baseUrl":"https://a.test","test_action":"x","timeout_seconds":5,"actions":[{"name":"X"}]}`,
			func(d *Definition) bool { return d.TestAction == "x" && d.TimeoutSeconds == 5 }},
		{"oauth camelCase", `{"name":"A","baseUrl":"https://a.test","auth":{"type":"oauth2","grantType":"authorization_code","authorizeUrl":"https://a.test/auth","tokenUrl":"https://a.test/token","scope":"read write"},"actions":[{"name":"X"}]}`,
			func(d *Definition) bool {
				a := d.Auth
				return a.Grant == GrantAuthorizationCode && a.AuthorizeURL == "https://a.test/auth" && a.TokenURL == "https://a.test/token" && reflect.DeepEqual(a.Scopes, []string{"read", "write"})
			}},
		{"oauth snake_case", `{"name":"A","baseUrl":"https://a.test","auth":{"type":"oauth2","grant":"client_credentials","token_url":"https://a.test/token","scopes":["a"]},"actions":[{"name":"X"}]}`,
			func(d *Definition) bool {
				return d.Auth.Grant == GrantClientCredentials && d.Auth.TokenURL == "https://a.test/token"
			}},
		{"auth type spellings", `{"name":"A","baseUrl":"https://a.test","auth":{"type":"apiKey","in":"query","name":"key"},"actions":[{"name":"X"}]}`,
			func(d *Definition) bool {
				return reflect.DeepEqual(d.Auth, Auth{Type: AuthAPIKey, Location: InQuery, Key: "key"})
			}},
		{"auth as a string", `{"name":"A","baseUrl":"https://a.test","auth":"bearer","actions":[{"name":"X"}]}`,
			func(d *Definition) bool { return d.Auth.Type == AuthBearer }},
		{"auth absent is none", `{"name":"A","baseUrl":"https://a.test","actions":[{"name":"X"}]}`,
			func(d *Definition) bool { return d.Auth.Type == AuthNone }},
		{"action path and params", `{"name":"A","baseUrl":"https://a.test","actions":[{"name":"X","path":"/x","params":{"q":"string"}}]}`,
			func(d *Definition) bool {
				return d.Actions[0].Endpoint == "/x" && d.Actions[0].Parameters[0].Name == "q"
			}},
		{"environment as a string", `{"name":"A","baseUrl":"https://a.test","environments":{"sandbox":"https://sandbox.a.test"},"actions":[{"name":"X"}]}`,
			func(d *Definition) bool { return d.Environments[Sandbox].BaseURL == "https://sandbox.a.test" }},
		{"rate_limit", `{"name":"A","baseUrl":"https://a.test","rate_limit":{"requests_per_second":2.5,"burst":5},"actions":[{"name":"X"}]}`,
			func(d *Definition) bool { return *d.RateLimit == RateLimit{RequestsPerSecond: 2.5, Burst: 5} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := mustParse(t, tt.json)
			if !tt.want(d) {
				t.Errorf("unexpected result: %+v", d)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	d := mustParse(t, `{
		"name": " Shop ", "baseUrl": "https://shop.test",
		"actions": [
			{"name": "List  Orders!", "endpoint": "/orders", "parameters": {"status": "string"}},
			{"name": "Delete Order", "method": "delete", "endpoint": "/orders/{id}", "parameters": {"id": "integer", "force": "bool"}},
			{"key": "upd", "name": "Update Order", "method": "patch", "endpoint": "/orders/{id}",
			 "parameters": {"id": "string", "note": "string", "trace": {"type": "string", "in": "header"}}}
		]}`)
	if d.Name != "Shop" {
		t.Errorf("name = %q, want trimmed", d.Name)
	}
	type got struct{ key, method, in string }
	want := [][]got{
		{{"list_orders", "GET", InQuery}},
		{{"delete_order", "DELETE", InPath}, {"delete_order", "DELETE", InQuery}},
		{{"upd", "PATCH", InPath}, {"upd", "PATCH", InBody}, {"upd", "PATCH", InHeader}},
	}
	for i, a := range d.Actions {
		for j, p := range a.Parameters {
			if g := (got{a.Key, a.Method, p.In}); g != want[i][j] {
				t.Errorf("actions[%d].parameters.%s: got %+v, want %+v", i, p.Name, g, want[i][j])
			}
			if p.Required != (p.In == InPath) {
				t.Errorf("actions[%d].parameters.%s: required = %v", i, p.Name, p.Required)
			}
		}
	}
	if typ := d.Actions[1].Parameters[1].Type(); typ != "boolean" {
		t.Errorf(`short form "bool" gave type %q, want boolean`, typ)
	}
}

func TestParseFullForm(t *testing.T) {
	t.Parallel()
	d := mustParse(t, `{
		"name": "Search", "baseUrl": "https://s.test",
		"actions": [{"name": "Search", "endpoint": "/search", "parameters": {
			"q": {"type": "string", "required": true, "description": "Query text", "minLength": 1},
			"limit": {"type": "integer", "default": 10, "minimum": 1, "maximum": 100},
			"sort": {"type": "string", "enum": ["asc", "desc"], "in": "query"},
			"X-Trace": {"type": "string", "in": "header", "x-note": "kept"}
		}}]}`)
	ps := d.Actions[0].Parameters
	want := Params{
		{Name: "q", In: InQuery, Required: true, Description: "Query text", Schema: map[string]any{"type": "string", "minLength": 1.0}},
		{Name: "limit", In: InQuery, Default: 10.0, Schema: map[string]any{"type": "integer", "minimum": 1.0, "maximum": 100.0}},
		{Name: "sort", In: InQuery, Schema: map[string]any{"type": "string", "enum": []any{"asc", "desc"}}},
		{Name: "X-Trace", In: InHeader, Schema: map[string]any{"type": "string", "x-note": "kept"}},
	}
	if !reflect.DeepEqual(ps, want) {
		t.Errorf("parameters =\n%+v\nwant\n%+v", ps, want)
	}
}

func TestParseArrayForm(t *testing.T) {
	t.Parallel()
	d := mustParse(t, `{
		"name": "Files", "baseUrl": "https://f.test",
		"actions": [{"name": "Upload", "method": "PUT", "endpoint": "/files/{path}", "parameters": [
			{"name": "path", "type": "string"},
			{"name": "content", "type": "string", "required": true},
			{"name": "tags", "type": "array", "items": {"type": "string"}, "in": "query"}
		]}]}`)
	var names, ins []string
	for _, p := range d.Actions[0].Parameters {
		names = append(names, p.Name)
		ins = append(ins, p.In)
	}
	if !reflect.DeepEqual(names, []string{"path", "content", "tags"}) || !reflect.DeepEqual(ins, []string{InPath, InBody, InQuery}) {
		t.Errorf("names %v, ins %v", names, ins)
	}
}

func TestParseRejectsUnknownFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json, field, message string
	}{
		{`{"name":"A","baseurl":"https://a.test","actions":[{"name":"X"}]}`,
			"baseurl", `unknown field "baseurl"; did you mean "baseUrl"?`},
		{`{"name":"A","baseUrl":"https://a.test","actions":[{"name":"X","endpont":"/x"}]}`,
			"actions[0].endpont", `unknown field "endpont" at actions[0]; did you mean "endpoint"?`},
		{`{"name":"A","baseUrl":"https://a.test","actions":[{"name":"X","baseurl":"/x"}]}`,
			"actions[0].baseurl", `unknown field "baseurl" at actions[0]`},
		{`{"name":"A","baseUrl":"https://a.test","auth":{"type":"oauth2","grant":"client_credentials","tokenURl":"https://a.test/t"},"actions":[{"name":"X"}]}`,
			"auth.tokenURl", `did you mean "tokenUrl"?`},
		{`{"name":"A","baseUrl":"https://a.test","actions":[{"name":"X","parameters":{"q":{"type":"string","reqired":true}}}]}`,
			"actions[0].parameters.q.reqired", `did you mean "required"?`},
		{`{"name":"A","baseUrl":"https://a.test","auth":{"type":"api_key","location":"header","key":"K","api_key":"s3cret"},"actions":[{"name":"X"}]}`,
			"auth.api_key", "set \"api_key\" on a connection"},
		{`{"name":"A","baseUrl":"https://a.test","base_url":"https://b.test","actions":[{"name":"X"}]}`,
			"base_url", `given twice, as "baseUrl" and "base_url"`},
		{`{"name":"A","baseUrl":"https://a.test","actions":[{"name":"X","parameters":{"q":42}}]}`,
			"actions[0].parameters.q", `must be a type name like "string"`},
		{`{"name":7,"baseUrl":"https://a.test","actions":[{"name":"X"}]}`,
			"name", "must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.json))
			assertFieldError(t, err, tt.field, tt.message)
		})
	}
}

func TestParseReportsDecodeAndValidationErrorsTogether(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`{"name":"A","baseUrl":"ftp://a.test","color":"red","actions":[{"name":7}]}`))
	assertFieldError(t, err, "color", "unknown field")
	assertFieldError(t, err, "baseUrl", "absolute http(s) URL")
	assertFieldError(t, err, "actions[0].name", "must be a string")
	var ve *ValidationError
	errors.As(err, &ve)
	for _, fe := range ve.Errors {
		if fe.Field == "actions[0].name" && strings.Contains(fe.Message, "required") {
			t.Errorf("a badly typed name is also reported as missing: %v", err)
		}
	}
}

func TestParseSyntaxErrorHasPosition(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("{\n  \"name\": \"A\",\n  oops\n}"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("err = %v, want a line number", err)
	}
}

// assertFieldError fails unless err is a *ValidationError with an entry
// for field whose message contains fragment.
func assertFieldError(t *testing.T, err error, field, fragment string) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v (%T), want *ValidationError", err, err)
	}
	for _, fe := range ve.Errors {
		if fe.Field == field && strings.Contains(fe.Message, fragment) {
			return
		}
	}
	t.Errorf("no error for %s containing %q; got: %v", field, fragment, err)
}

func TestParseRejectsNonObjects(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{`[]`, `"x"`, `null`, `42`} {
		_, err := Parse([]byte(raw))
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Message != "must be a JSON object" {
			t.Errorf("Parse(%s) = %v, want one error", raw, err)
		}
	}
}

func TestParseRedirectPolicy(t *testing.T) {
	t.Parallel()
	for spelling, want := range map[string]string{
		`"same_origin"`: RedirectsSameOrigin, `"same-origin"`: RedirectsSameOrigin, `"sameOrigin"`: RedirectsSameOrigin,
		`"follow"`: RedirectsFollow, `"Follow"`: RedirectsFollow, `null`: "",
	} {
		d := mustParse(t, def(`"redirects": `+spelling))
		if d.Redirects != want {
			t.Errorf("redirects %s parsed as %q, want %q", spelling, d.Redirects, want)
		}
	}
}
