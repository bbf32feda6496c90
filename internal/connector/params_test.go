package connector

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParamsMarshalKeepsOrderAndFullForm(t *testing.T) {
	t.Parallel()
	d := mustParse(t, def(`"actions":[{"name":"X","method":"POST","endpoint":"/x/{id}","parameters":{
		"zeta": "string",
		"id": "integer",
		"alpha": {"type": "array", "items": {"type": "string"}, "description": "Tags", "default": ["a"]},
		"mid": {"type": "object", "required": ["a"], "x-required": true, "properties": {"a": {"type": "string"}}}
	}}]`))
	got, err := json.Marshal(d.Actions[0].Parameters)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"zeta":{"type":"string","in":"body"},` +
		`"id":{"type":"integer","in":"path","required":true},` +
		`"alpha":{"type":"array","in":"body","description":"Tags","default":["a"],"items":{"type":"string"}},` +
		`"mid":{"type":"object","in":"body","x-required":true,"properties":{"a":{"type":"string"}},"required":["a"]}}`
	if string(got) != want {
		t.Errorf("MarshalJSON =\n%s\nwant\n%s", got, want)
	}
}

func TestDefinitionRoundTrips(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"seed": seedJSON,
		"full": def(`"auth":{"type":"oauth2","grant":"authorization_code","authorize_url":"https://a.test/a","token_url":"https://a.test/t","scopes":["r"]},
			"environments":{"sandbox":{"baseUrl":"https://sb.a.test"}},"headers":{"X-Version":"2"},"timeoutSeconds":10,
			"rateLimit":{"requestsPerSecond":5,"burst":10},"testAction":"list","redirects":"same_origin",
			"actions":[{"key":"list","name":"List","endpoint":"/items","parameters":[{"name":"page","type":"integer","default":1,"minimum":1}]},
			{"name":"Tag","method":"PUT","endpoint":"/items/{id}/tags","headers":{"X-Mode":"merge"},"idempotent":true,
			 "parameters":{"id":"string","tags":{"type":"array","items":{"type":"string"},"required":true}}}]`),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			first := mustParse(t, raw)
			stored, err := json.Marshal(first)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse(stored)
			if err != nil {
				t.Fatalf("stored form does not parse: %v\n%s", err, stored)
			}
			if !reflect.DeepEqual(first, again) {
				t.Errorf("round trip changed the definition:\n%+v\n%+v", first, again)
			}
			var plain Definition
			if err := json.Unmarshal(stored, &plain); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(first, &plain) {
				t.Errorf("json.Unmarshal of the stored form differs:\n%+v\n%+v", first, &plain)
			}
		})
	}
}

func TestParamsUnmarshalReportsProblems(t *testing.T) {
	t.Parallel()
	var ps Params
	err := json.Unmarshal([]byte(`{"a":{"type":"string","in":3}}`), &ps)
	assertFieldError(t, err, "parameters.a.in", "path, query, header, body")
}
