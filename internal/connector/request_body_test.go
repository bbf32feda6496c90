package connector

import (
	"encoding/json"
	"testing"
)

func TestLoneBodyParamNamedBodyIsTheWholeBody(t *testing.T) {
	t.Parallel()
	d, err := Parse([]byte(`{"name": "Users", "baseUrl": "https://api.example.com",
		"actions": [
			{"name": "Create Many", "method": "POST", "endpoint": "/users/batch",
			 "parameters": {"body": {"type": "array", "in": "body", "required": true, "items": {"type": "object"}}}},
			{"name": "Create One", "method": "POST", "endpoint": "/users",
			 "parameters": {"body": {"type": "string", "in": "body"}, "name": "string"}}
		]}`))
	if err != nil {
		t.Fatal(err)
	}
	many, _ := d.Action("create_many")
	req, err := d.Build(many, Sandbox, map[string]any{"body": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if string(req.Body) != `[{"name":"a"},{"name":"b"}]` {
		t.Fatalf("array body = %s", req.Body)
	}
	// With other body params, "body" is an ordinary member.
	one, _ := d.Action("create_one")
	req, err = d.Build(one, Sandbox, map[string]any{"body": "x", "name": "n"})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if json.Unmarshal(req.Body, &got) != nil || got["body"] != "x" || got["name"] != "n" {
		t.Fatalf("object body = %s", req.Body)
	}
}
