package connector

import (
	"strings"
	"testing"
)

// def wraps the given top-level members (JSON without braces) around a
// minimal valid integration, so each case shows only what it changes.
func def(members string) string {
	base := `"name": "A", "baseUrl": "https://a.test"`
	if !strings.Contains(members, `"actions"`) {
		base += `, "actions": [{"name": "Ping", "endpoint": "/ping"}]`
	}
	if members == "" {
		return "{" + base + "}"
	}
	return "{" + base + ", " + members + "}"
}

func TestValidateReportsEachProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json, field, message string
	}{
		{"name missing", `{"baseUrl":"https://a.test","actions":[{"name":"X"}]}`, "name", "required"},
		{"name too long", `{"name":"` + strings.Repeat("n", 101) + `","baseUrl":"https://a.test","actions":[{"name":"X"}]}`, "name", "keep it to 100"},
		{"baseUrl missing", `{"name":"A","actions":[{"name":"X"}]}`, "baseUrl", "required"},
		{"baseUrl relative", `{"name":"A","baseUrl":"api.test/v1","actions":[{"name":"X"}]}`, "baseUrl", "absolute http(s) URL"},
		{"baseUrl not http", `{"name":"A","baseUrl":"ftp://a.test","actions":[{"name":"X"}]}`, "baseUrl", "absolute http(s) URL"},
		{"baseUrl query", `{"name":"A","baseUrl":"https://a.test/?v=1","actions":[{"name":"X"}]}`, "baseUrl", "query string"},
		{"baseUrl fragment", `{"name":"A","baseUrl":"https://a.test/#x","actions":[{"name":"X"}]}`, "baseUrl", "#fragment"},
		{"baseUrl credentials", `{"name":"A","baseUrl":"https://u:p@a.test","actions":[{"name":"X"}]}`, "baseUrl", "credentials"},
		{"documentationUrl", def(`"documentationUrl":"docs"`), "documentationUrl", "absolute"},
		{"auth type unknown", def(`"auth":{"type":"hmac"}`), "auth.type", "unknown auth type"},
		{"api_key location", def(`"auth":{"type":"api_key","key":"K"}`), "auth.location", `"header" or "query"`},
		{"api_key location bad", def(`"auth":{"type":"api_key","location":"cookie","key":"K"}`), "auth.location", `is "cookie"`},
		{"api_key name", def(`"auth":{"type":"api_key","location":"header"}`), "auth.key", "required"},
		{"api_key header name", def(`"auth":{"type":"api_key","location":"header","key":"X Key"}`), "auth.key", "not a valid header name"},
		{"oauth2 grant", def(`"auth":{"type":"oauth2","token_url":"https://a.test/t"}`), "auth.grant", "authorization_code or client_credentials"},
		{"oauth2 grant bad", def(`"auth":{"type":"oauth2","grant":"password","token_url":"https://a.test/t"}`), "auth.grant", `is "password"`},
		{"oauth2 token_url", def(`"auth":{"type":"oauth2","grant":"client_credentials"}`), "auth.token_url", "required"},
		{"oauth2 authorize_url", def(`"auth":{"type":"oauth2","grant":"authorization_code","token_url":"https://a.test/t"}`), "auth.authorize_url", "required"},
		{"oauth2 relative url", def(`"auth":{"type":"oauth2","grant":"client_credentials","token_url":"/token"}`), "auth.token_url", "absolute"},
		{"oauth2 token_auth", def(`"auth":{"type":"oauth2","grant":"client_credentials","token_url":"https://a.test/t","token_auth":"jwt"}`), "auth.token_auth", `"header"`},
		{"environment unknown", def(`"environments":{"staging":{"baseUrl":"https://s.a.test"}}`), "environments.staging", "sandbox or production"},
		{"environment url", def(`"environments":{"sandbox":{"baseUrl":"sandbox"}}`), "environments.sandbox.baseUrl", "absolute"},
		{"header name", def(`"headers":{"Bad Header":"x"}`), "headers.Bad Header", "not a valid header name"},
		{"header value", def(`"headers":{"X-A":"a\r\nb"}`), "headers.X-A", "line breaks"},
		{"timeout low", def(`"timeoutSeconds":-1`), "timeoutSeconds", "1 to 30"},
		{"timeout high", def(`"timeoutSeconds":31`), "timeoutSeconds", "1 to 30"},
		{"rate limit", def(`"rateLimit":{"requestsPerSecond":0}`), "rateLimit.requestsPerSecond", "more than 0"},
		{"no actions", def(`"actions":[]`), "actions", "at least one action"},
		{"duplicate keys", def(`"actions":[{"name":"Get"},{"name":"get"}]`), "actions[1].key", "also the key of actions[0]"},
		{"action name", def(`"actions":[{"key":"x"}]`), "actions[0].name", "required"},
		{"key from symbols", def(`"actions":[{"name":"!!!"}]`), "actions[0].key", "cannot be derived"},
		{"key alphabet", def(`"actions":[{"name":"X","key":"a b"}]`), "actions[0].key", `try "a_b"`},
		{"method", def(`"actions":[{"name":"X","method":"FETCH"}]`), "actions[0].method", "not supported"},
		{"method typo", def(`"actions":[{"name":"X","method":"PSOT"}]`), "actions[0].method", `did you mean "POST"?`},
		{"endpoint slash", def(`"actions":[{"name":"X","endpoint":"contacts"}]`), "actions[0].endpoint", "must start with '/'"},
		{"endpoint absolute", def(`"actions":[{"name":"X","endpoint":"https://b.test/x"}]`), "actions[0].endpoint", "relative to baseUrl"},
		{"endpoint braces", def(`"actions":[{"name":"X","endpoint":"/x/{id"}]`), "actions[0].endpoint", "without a matching '}'"},
		{"placeholder undeclared", def(`"actions":[{"name":"X","endpoint":"/x/{id}"}]`), "actions[0].endpoint", `no parameter "id" is declared`},
		{"placeholder not path", def(`"actions":[{"name":"X","endpoint":"/x/{id}","parameters":{"id":{"type":"string","in":"query"}}}]`), "actions[0].endpoint", `"id" is in query`},
		{"path param not in endpoint", def(`"actions":[{"name":"X","endpoint":"/x","parameters":{"id":{"type":"string","in":"path"}}}]`), "actions[0].parameters.id.in", "has no {id}"},
		{"param in", def(`"actions":[{"name":"X","parameters":{"q":{"type":"string","in":"cookie"}}}]`), "actions[0].parameters.q.in", `is "cookie"`},
		{"body on GET", def(`"actions":[{"name":"X","parameters":{"q":{"type":"string","in":"body"}}}]`), "actions[0].parameters.q.in", "carry no body"},
		{"param type", def(`"actions":[{"name":"X","parameters":{"q":"strng"}}]`), "actions[0].parameters.q.type", `did you mean "string"?`},
		{"param type list", def(`"actions":[{"name":"X","parameters":{"q":{"type":["string","nil"]}}}]`), "actions[0].parameters.q.type", `unknown type "nil"`},
		{"style for another location", def(`"actions":[{"name":"X","endpoint":"/x/{q}","parameters":{"q":{"type":"array","style":"deepObject"}}}]`), "actions[0].parameters.q.style", "a path parameter cannot have; use one of simple, label, matrix"},
		{"style misspelled", def(`"actions":[{"name":"X","parameters":{"q":{"type":"array","style":"pipeDelimted"}}}]`), "actions[0].parameters.q.style", `did you mean "pipeDelimited"?`},
		{"style on a JSON body", def(`"actions":[{"name":"X","method":"POST","parameters":{"q":{"type":"array","style":"form"}}}]`), "actions[0].parameters.q.style", "apply to form bodies"},
		{"body type", def(`"actions":[{"name":"X","method":"POST","body_type":"xml"}]`), "actions[0].body_type", "use one of json, form, multipart"},
		{"explode not a boolean", def(`"actions":[{"name":"X","parameters":{"q":{"type":"array","explode":"yes"}}}]`), "actions[0].parameters.q.explode", "true or false"},
		{"default type", def(`"actions":[{"name":"X","parameters":{"n":{"type":"integer","default":"ten"}}}]`), "actions[0].parameters.n.default", "must be an integer, got string"},
		{"default enum", def(`"actions":[{"name":"X","parameters":{"s":{"type":"string","enum":["a"],"default":"b"}}}]`), "actions[0].parameters.s.default", `must be one of "a"`},
		{"bad schema", def(`"actions":[{"name":"X","parameters":{"s":{"type":"string","minLength":"one"}}}]`), "actions[0].parameters.s", "not a valid JSON Schema"},
		{"schema reference", def(`"actions":[{"name":"X","parameters":{"s":{"type":"object","allOf":[{"$ref":"#"}],"default":{}}}}]`), "actions[0].parameters.s", "$ref is not supported"},
		{"duplicate param", def(`"actions":[{"name":"X","parameters":[{"name":"a"},{"name":"a"}]}]`), "actions[0].parameters.a", "declared twice"},
		{"testAction", def(`"testAction":"nope"`), "testAction", `no action "nope"; use one of: ping`},
		{"redirects", def(`"redirects":"never"`), "redirects", `use "follow"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.json))
			assertFieldError(t, err, tt.field, tt.message)
		})
	}
}

func TestValidateCollectsAllErrors(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`{"name":"","baseUrl":"x","auth":{"type":"api_key"},"timeoutSeconds":99,
		"actions":[{"name":"A","method":"GIT","endpoint":"a"}]}`))
	for _, field := range []string{"name", "baseUrl", "auth.location", "auth.key", "timeoutSeconds", "actions[0].method", "actions[0].endpoint"} {
		assertFieldError(t, err, field, "")
	}
}

func TestValidateAcceptsLocalHTTPAndEnvironmentOnlyBaseURLs(t *testing.T) {
	t.Parallel()
	mustParse(t, `{"name":"Local","baseUrl":"http://127.0.0.1:8080/api/","actions":[{"name":"X"}]}`)
	mustParse(t, `{"name":"Envs","environments":{"sandbox":{"baseUrl":"https://s.test"},"production":{"baseUrl":"https://p.test"}},"actions":[{"name":"X"}]}`)
}

func TestValidationErrorJoinsMessages(t *testing.T) {
	t.Parallel()
	err := &ValidationError{Errors: []FieldError{{"name", "required"}, {"actions", "empty"}}}
	if got := err.Error(); got != "name: required; actions: empty" {
		t.Errorf("Error() = %q", got)
	}
}

func TestValidateReportsSeveralProblemsOnOneField(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(def(`"actions":[{"name":"X","endpoint":"x/{id}"}]`)))
	assertFieldError(t, err, "actions[0].endpoint", "must start with '/'")
	assertFieldError(t, err, "actions[0].endpoint", `no parameter "id" is declared`)
}
