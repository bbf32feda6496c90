package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestRedactJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"no secrets", `{"name": "Ada", "email": "ada@example.com"}`, nil,
			`{"name": "Ada", "email": "ada@example.com"}`},
		{"top level", `{"access_token":"abc","token_type":"bearer","expires_in":3600}`, nil,
			`{"access_token":"[REDACTED]","token_type":"bearer","expires_in":3600}`},
		{"nested", `{"data":{"user":{"name":"x","password":"hunter2"}}}`, nil,
			`{"data":{"user":{"name":"x","password":"[REDACTED]"}}}`},
		{"in arrays", `[{"apiKey":"a"},{"apiKey":"b","id":1}]`, nil,
			`[{"apiKey":"[REDACTED]"},{"apiKey":"[REDACTED]","id":1}]`},
		{"numbers stay", `{"max_tokens": 1024, "token": null, "secret": true}`, nil,
			`{"max_tokens": 1024, "token": null, "secret": true}`},
		{"object under secret key", `{"credentials": {"username": "ada", "password": "x", "port": 5432}, "next": "ok"}`, nil,
			`{"credentials": {"username": "[REDACTED]", "password": "[REDACTED]", "port": 5432}, "next": "ok"}`},
		{"array under secret key", `{"tokens":["a","b"],"names":["c"]}`, nil,
			`{"tokens":["[REDACTED]","[REDACTED]"],"names":["c"]}`},
		{"escaped quotes", `{"note":"say \"token\": \"x\"","secret":"a\\\"b"}`, nil,
			`{"note":"say \"token\": \"x\"","secret":"[REDACTED]"}`},
		{"escaped key", `{"pass\u0077ord":"x"}`, nil, `{"pass\u0077ord":"[REDACTED]"}`},
		{"spacing kept", "{\n  \"secret\" :\n    \"x\"\n}", nil, "{\n  \"secret\" :\n    \"[REDACTED]\"\n}"},
		{"truncated value", `{"items":[1,2],"password":"hun`, nil, `{"items":[1,2],"password":"[REDACTED]"`},
		{"literal secret", `{"echo":"key is sk_live_123"}`, []string{"sk_live_123"},
			`{"echo":"key is [REDACTED]"}`},
		{"escaped literal", `{"echo":"a\/b\"c","q":"a%2Fb%22c"}`, []string{`a/b"c`},
			`{"echo":"[REDACTED]","q":"[REDACTED]"}`},
		{"longest literal first", `abcdef abc`, []string{"abc", "abcdef"}, `[REDACTED] [REDACTED]`},
		{"not JSON", `password=hunter2&token: "x"`, []string{"hunter2"}, `password=[REDACTED]&token: "x"`},
		{"empty secret ignored", `{"a":"b"}`, []string{""}, `{"a":"b"}`},
		{"empty body", ``, []string{"x"}, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := []byte(tt.in)
			got := RedactJSON(in, tt.secrets...)
			if string(got) != tt.want {
				t.Errorf("RedactJSON(%s) =\n %s, want\n %s", tt.in, got, tt.want)
			}
			if string(in) != tt.in {
				t.Error("RedactJSON modified its input")
			}
			if len(got) > 0 && &got[0] == &in[0] {
				t.Error("RedactJSON returned its input instead of a copy")
			}
			if json.Valid(in) && !json.Valid(got) {
				t.Errorf("RedactJSON turned valid JSON into invalid JSON: %s", got)
			}
		})
	}
}

// callLogBody builds an API response of roughly size bytes shaped like
// what the call log stores: records with ids, text, nested objects, a few
// secrets and numeric arrays.
func callLogBody(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"object":"list","data":[`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"cus_%08d","email":"user%d@example.com","name":"Customer %d",`+
			`"metadata":{"plan":"growth","note":"%s"},"api_key":"sk_live_%08d",`+
			`"embedding":[0.0123,-0.4567,0.891,0.2345,-0.6789],"active":true}`,
			i, i, i, strings.Repeat("lorem ipsum ", 4), i)
	}
	b.WriteString(`],"has_more":false}`)
	return b.Bytes()
}

func BenchmarkRedactJSON(b *testing.B) {
	for _, size := range []int{4 << 10, 256 << 10} {
		body := callLogBody(size)
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				RedactJSON(body, "sk_live_00000042")
			}
		})
	}
}

func TestRedactJSONLargeBody(t *testing.T) {
	t.Parallel()
	body := callLogBody(256 << 10)
	got := RedactJSON(body)
	if !json.Valid(got) {
		t.Fatal("result is not valid JSON")
	}
	if bytes.Contains(got, []byte("sk_live_")) {
		t.Fatal("an api_key value survived")
	}
	if !bytes.Contains(got, []byte(`"email":"user7@example.com"`)) {
		t.Fatal("an ordinary value was masked")
	}
}
