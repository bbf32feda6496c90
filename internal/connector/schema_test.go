package connector

import (
	"encoding/json"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
)

func TestInputSchema(t *testing.T) {
	t.Parallel()
	d := mustParse(t, def(`"actions":[{"name":"Find","endpoint":"/people/{org}","parameters":{
		"org": "string",
		"q": {"type": "string", "description": "Search text", "required": true},
		"limit": {"type": "integer", "default": 10, "minimum": 1},
		"sort": {"type": "string", "enum": ["asc", "desc"], "in": "header"}
	}}]`))
	a := &d.Actions[0]
	got := string(a.InputSchemaJSON())
	want := `{"type":"object","required":["org","q"],"additionalProperties":false,"properties":{` +
		`"org":{"type":"string"},` +
		`"q":{"type":"string","description":"Search text"},` +
		`"limit":{"type":"integer","default":10,"minimum":1},` +
		`"sort":{"type":"string","enum":["asc","desc"]}}}`
	if !jsonEqual(t, got, want) {
		t.Errorf("InputSchemaJSON =\n%s\nwant\n%s", got, want)
	}
	if s := a.InputSchema(); len(s.PropertyOrder) != 4 || s.PropertyOrder[0] != "org" || s.PropertyOrder[3] != "sort" {
		t.Errorf("property order = %v", s.PropertyOrder)
	}
}

// TestInputSchemaValidatesLikeCheckParams feeds the same values to the
// published schema and to CheckParams: agents and the server agree.
func TestInputSchemaValidatesLikeCheckParams(t *testing.T) {
	t.Parallel()
	a := &mustParse(t, contacts).Actions[0]
	resolved, err := a.InputSchema().Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, params := range []map[string]any{
		{"id": "1", "name": "Ann"},
		{"id": "1", "name": "Ann", "age": 3.5},
		{"id": "1"},
		{"id": "1", "name": "Ann", "other": 1},
		{"id": "1", "name": "Ann", "tier": "gold", "tags": []any{"a"}},
	} {
		_, checkErr := a.CheckParams(params)
		schemaErr := resolved.Validate(params)
		if (checkErr == nil) != (schemaErr == nil) {
			t.Errorf("%v: CheckParams %v, schema %v", params, checkErr, schemaErr)
		}
	}
}

func TestInputSchemaWithoutParameters(t *testing.T) {
	t.Parallel()
	a := &Action{Key: "ping", Name: "Ping"}
	var s jsonschema.Schema
	if err := json.Unmarshal(a.InputSchemaJSON(), &s); err != nil || s.Type != "object" {
		t.Errorf("schema %+v, err %v", s, err)
	}
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	return jsonschema.Equal(x, y)
}

// TestInputSchemaPropertiesAreObjects: a parameter that names no type
// accepts any value, which JSON Schema may write as the boolean true; the
// TypeScript MCP SDK refuses a whole tools/list page over one such
// property, so every property, at any depth, is written as an object.
func TestInputSchemaPropertiesAreObjects(t *testing.T) {
	t.Parallel()
	d := mustParse(t, def(`"actions":[{"name":"Send","method":"POST","endpoint":"/send","parameters":{
		"anything": {"in": "body"},
		"note": {"description": "Free text"},
		"meta": {"type": "object", "properties": {"free": {}, "tags": {"type": "array", "items": {"type": "object", "properties": {"k": {}}}}}}
	}}]`))
	a := &d.Actions[0]
	got := string(a.InputSchemaJSON())
	want := `{"type":"object","additionalProperties":false,"properties":{` +
		`"anything":{"description":"Any JSON value."},` +
		`"note":{"description":"Free text"},` +
		`"meta":{"type":"object","properties":{"free":{"description":"Any JSON value."},` +
		`"tags":{"type":"array","items":{"type":"object","properties":{"k":{"description":"Any JSON value."}}}}}}}}`
	if !jsonEqual(t, got, want) {
		t.Errorf("InputSchemaJSON =\n%s\nwant\n%s", got, want)
	}
	// The published schema still accepts what the action accepts.
	resolved, err := a.InputSchema().Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{"text", 3, []any{1}, map[string]any{"x": nil}, true} {
		params := map[string]any{"anything": v, "meta": map[string]any{"free": v}}
		if err := resolved.Validate(params); err != nil {
			t.Errorf("schema refuses %v: %v", params, err)
		}
		if _, err := a.CheckParams(params); err != nil {
			t.Errorf("CheckParams refuses %v: %v", params, err)
		}
	}
}

// TestPropertyNamesThatLookLikeKeywords: Kubernetes' JSONSchemaProps has
// properties named $ref and $schema; they are names, not references.
func TestPropertyNamesThatLookLikeKeywords(t *testing.T) {
	t.Parallel()
	d := mustParse(t, `{"name": "K", "baseUrl": "https://k.test", "actions": [{"name": "Put", "method": "PUT", "endpoint": "/crd",
		"parameters": {"spec": {"type": "object", "properties": {"$ref": {"type": "string"}, "$schema": {"type": "string"},
		  "nested": {"type": "array", "items": {"type": "object", "properties": {"$id": {"type": "string"}}}}},
		  "default": {"$ref": "#/not/a/reference"}}}}]}`)
	a := &d.Actions[0]
	if _, err := a.CheckParams(map[string]any{"spec": map[string]any{"$ref": "#/definitions/x", "$schema": "draft-07"}}); err != nil {
		t.Errorf("a value with those properties: %v", err)
	}
	_, err := a.CheckParams(map[string]any{"spec": map[string]any{"$ref": 3}})
	assertFieldError(t, err, "params.spec", "string")

	// A real reference is still refused, however deep.
	_, err = Parse([]byte(`{"name": "K", "baseUrl": "https://k.test", "actions": [{"name": "Put", "method": "PUT", "endpoint": "/crd",
		"parameters": {"spec": {"type": "object", "properties": {"a": {"type": "array", "items": {"$ref": "#/x"}}}}}}]}`))
	assertFieldError(t, err, "actions[0].parameters.spec", "$ref is not supported")
}
