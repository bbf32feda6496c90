package connector

import (
	"encoding/json"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that whatever it
// accepts survives a store-and-load round trip and can build a request.
func FuzzParse(f *testing.F) {
	f.Add([]byte(seedJSON))
	f.Add([]byte(shop))
	f.Add([]byte(contacts))
	f.Add([]byte(`{"name":"A","baseUrl":"http://a","actions":[{"name":"X","endpoint":"/{a}{b}","parameters":[{"name":"a"},{"name":"b","type":["string","null"]}]}]}`))
	f.Add([]byte(`{"actions":[{"parameters":{"x":{"type":"object","properties":{"y":{"$ref":"#"}},"allOf":[{"$ref":"#"}],"default":{}}}}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := Parse(raw)
		if err != nil {
			return
		}
		stored, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("marshal accepted definition: %v", err)
		}
		if _, err := Parse(stored); err != nil {
			t.Fatalf("stored form rejected: %v\n%s", err, stored)
		}
		for i := range d.Actions {
			a := &d.Actions[i]
			a.InputSchemaJSON()
			_, _ = d.Build(a, Sandbox, map[string]any{})
		}
	})
}
