package connector

import (
	"encoding/json"
	"reflect"
	"testing"
)

const contacts = `{
	"name": "CRM", "baseUrl": "https://crm.test",
	"actions": [{"name": "Upsert", "method": "PUT", "endpoint": "/contacts/{id}", "parameters": {
		"id": "string",
		"name": {"type": "string", "required": true, "minLength": 2, "maxLength": 5},
		"email": {"type": "string", "pattern": "^[^@]+@[^@]+$"},
		"age": {"type": "integer", "minimum": 0, "maximum": 150},
		"score": "number",
		"vip": {"type": "boolean", "default": false},
		"tier": {"type": "string", "enum": ["gold", "silver"]},
		"tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
		"address": {"type": "object", "properties": {"zip": {"type": "string"}}, "required": ["zip"]},
		"note": {"type": ["string", "null"]}
	}}]}`

func TestCheckParams(t *testing.T) {
	t.Parallel()
	a := &mustParse(t, contacts).Actions[0]
	tests := []struct {
		name    string
		params  map[string]any
		field   string
		message string
	}{
		{"required path parameter", map[string]any{"name": "Ann"}, "params.id", "required (string)"},
		{"required body parameter", map[string]any{"id": "1"}, "params.name", "required"},
		{"unknown parameter", map[string]any{"id": "1", "name": "Ann", "foo": 1}, "params.foo", "unknown parameter; known: id, name, email, age, score, vip, tier, tags, address, note"},
		{"string got number", map[string]any{"id": "1", "name": 12.0}, "params.name", "must be a string, got number"},
		{"integer got fraction", map[string]any{"id": "1", "name": "Ann", "age": 1.5}, "params.age", "must be an integer, got 1.5"},
		{"integer got string", map[string]any{"id": "1", "name": "Ann", "age": "3"}, "params.age", "must be an integer, got string"},
		{"boolean got string", map[string]any{"id": "1", "name": "Ann", "vip": "yes"}, "params.vip", "must be a boolean, got string"},
		{"array got object", map[string]any{"id": "1", "name": "Ann", "tags": map[string]any{}}, "params.tags", "must be an array, got object"},
		{"union type", map[string]any{"id": "1", "name": "Ann", "note": 3}, "params.note", "must be a string or null, got number"},
		{"minimum", map[string]any{"id": "1", "name": "Ann", "age": -1}, "params.age", "must be at least 0, got -1"},
		{"maximum", map[string]any{"id": "1", "name": "Ann", "age": 200}, "params.age", "must be at most 150, got 200"},
		{"minLength", map[string]any{"id": "1", "name": "A"}, "params.name", "must be at least 2 characters long"},
		{"maxLength", map[string]any{"id": "1", "name": "Annabel"}, "params.name", "must be at most 5 characters long"},
		{"pattern", map[string]any{"id": "1", "name": "Ann", "email": "nope"}, "params.email", "must match the pattern"},
		{"enum", map[string]any{"id": "1", "name": "Ann", "tier": "bronze"}, "params.tier", `must be one of "gold", "silver", got "bronze"`},
		{"nested array keyword", map[string]any{"id": "1", "name": "Ann", "tags": []string{"a", "b", "c"}}, "params.tags", "maxItems"},
		{"nested item type", map[string]any{"id": "1", "name": "Ann", "tags": []any{1}}, "params.tags", "items must be a string, got number"},
		{"nested required", map[string]any{"id": "1", "name": "Ann", "address": map[string]any{}}, "params.address", `missing required properties: "zip"`},
		{"nested property type", map[string]any{"id": "1", "name": "Ann", "address": map[string]any{"zip": 75001}}, "params.address", "zip must be a string, got number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := a.CheckParams(tt.params)
			assertFieldError(t, err, tt.field, tt.message)
		})
	}
}

func TestCheckParamsListsEveryProblem(t *testing.T) {
	t.Parallel()
	a := &mustParse(t, contacts).Actions[0]
	_, err := a.CheckParams(map[string]any{"age": "x", "bogus": true})
	for _, f := range []string{"params.id", "params.name", "params.age", "params.bogus"} {
		assertFieldError(t, err, f, "")
	}
}

func TestCheckParamsAppliesDefaults(t *testing.T) {
	t.Parallel()
	a := &mustParse(t, contacts).Actions[0]
	in := map[string]any{"id": "1", "name": "Ann", "age": 30, "tags": []string{"a"}, "note": nil, "address": map[string]any{"zip": "1"}}
	got, err := a.CheckParams(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": "1", "name": "Ann", "age": 30, "tags": []string{"a"}, "vip": false, "address": map[string]any{"zip": "1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, ok := in["vip"]; ok {
		t.Error("CheckParams changed its input")
	}
}

func TestCoerceStrings(t *testing.T) {
	t.Parallel()
	a := &mustParse(t, contacts).Actions[0]
	got, err := CoerceStrings(a, map[string]string{
		"id": "7", "name": "Ann", "age": " 42 ", "score": "2.5", "vip": "on",
		"tags": "a, b", "address": `{"zip":"75001"}`, "tier": "", "extra": "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": "7", "name": "Ann", "age": int64(42), "score": json.Number("2.5"), "vip": true,
		"tags": []any{"a", "b"}, "address": map[string]any{"zip": "75001"}, "tier": "", "extra": "x",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
	got, err = CoerceStrings(a, map[string]string{"tags": `["x","y"]`, "age": ""})
	if err != nil || !reflect.DeepEqual(got, map[string]any{"tags": []any{"x", "y"}}) {
		t.Errorf("JSON array and blank integer: %v, %v", got, err)
	}
}

func TestCoerceStringsErrors(t *testing.T) {
	t.Parallel()
	a := &mustParse(t, contacts).Actions[0]
	_, err := CoerceStrings(a, map[string]string{"age": "forty", "score": "1,5", "vip": "maybe", "address": "[1]", "tags": "[oops"})
	assertFieldError(t, err, "params.age", `must be an integer, got "forty"`)
	assertFieldError(t, err, "params.score", `must be a number, got "1,5"`)
	assertFieldError(t, err, "params.vip", `must be true or false, got "maybe"`)
	assertFieldError(t, err, "params.address", "must be a JSON object")
	assertFieldError(t, err, "params.tags", "JSON array or a comma-separated list")
}
