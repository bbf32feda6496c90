package connector

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that whatever it
// accepts is canonical once stored: the stored form parses again, to the
// same stored form, and every action can build a request.
func FuzzParse(f *testing.F) {
	f.Add([]byte(seedJSON))
	f.Add([]byte(shop))
	f.Add([]byte(contacts))
	f.Add([]byte(`{"name":"A","baseUrl":"http://a","actions":[{"name":"X","endpoint":"/{a}{b}","parameters":[{"name":"a"},{"name":"b","type":["string","null"]}]}]}`))
	f.Add([]byte(`{"actions":[{"parameters":{"x":{"type":"object","properties":{"y":{"$ref":"#"}},"allOf":[{"$ref":"#"}],"default":{}}}}]}`))
	f.Add([]byte(`{"name":" N ","base_url":"https://a.test","redirects":"same-origin","auth":"apiKey","actions":[{"name":"Get It","params":{"n":"int"}}]}`))
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
		again, err := Parse(stored)
		if err != nil {
			t.Fatalf("stored form rejected: %v\n%s", err, stored)
		}
		restored, err := json.Marshal(again)
		if err != nil {
			t.Fatalf("marshal re-parsed definition: %v", err)
		}
		if !bytes.Equal(stored, restored) {
			t.Fatalf("the stored form is not canonical:\n%s\n%s", stored, restored)
		}
		for i := range d.Actions {
			a := &d.Actions[i]
			a.InputSchemaJSON()
			_, _ = d.Build(a, Sandbox, map[string]any{})
		}
	})
}
