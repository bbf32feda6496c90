package openapi

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/naming"
)

// FuzzImport imports fuzzed documents. A member may paste any document or
// point at any URL, so nothing may panic or run away, and whatever an
// import accepts must be a definition the connector accepts too, with
// names and descriptions that follow the one rule for text.
func FuzzImport(f *testing.F) {
	for _, doc := range []string{
		`{"openapi":"3.0.3","info":{"title":"Mini","version":"1"},"servers":[{"url":"https://api.example.com/v1"}],
		  "paths":{"/items/{id}":{"get":{"operationId":"getItem","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"integer"}}]}}}}`,
		`{"openapi":"3.1.0","info":{"title":"Loop","version":"1"},"servers":[{"url":"https://x.example"}],
		  "components":{"schemas":{"N":{"type":"object","properties":{"next":{"$ref":"#/components/schemas/N"}}}}},
		  "paths":{"/n":{"post":{"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/N"}}}}}}}}`,
		"swagger: '2.0'\ninfo: {title: Yaml, version: '1'}\nhost: api.example.com\nbasePath: /v2\nschemes: [https]\npaths:\n  /pets:\n    get:\n      operationId: listPets\n      parameters:\n        - {name: limit, in: query, type: integer}\n",
		`{"openapi":"3.0.0","info":{"title":"Bad\u0000Name\u202E","description":"line\nbreak\u0000","version":"1"},"servers":[{"url":"https://x.example"}],
		  "paths":{"/a":{"get":{"summary":"A\u0007","parameters":[{"name":"q\u0000","in":"query","schema":{"type":"string"}},{"name":"X-H","in":"header","description":"\u001b[31m"}]}}}}`,
		`{"openapi":"3.0.0","info":{"title":"Auth","version":"1"},"servers":[{"url":"https://x.example/{v}","variables":{"v":{"default":"v1"}}}],
		  "components":{"securitySchemes":{"o":{"type":"oauth2","flows":{"authorizationCode":{"authorizationUrl":"/auth","tokenUrl":"//evil.example/token","scopes":{"a":"b"}}}}}},
		  "security":[{"o":["a"]}],"paths":{"/me":{"get":{}}}}`,
		`{"openapi":"3.0.0","info":{"title":"Ext","version":"1"},"paths":{"/a":{"get":{"parameters":[{"$ref":"other.yaml#/p"}]}}}}`,
		`{"openapi":"3.0.0","info":{"title":"Empty","version":"1"},"paths":{}}`,
		`[]`,
		``,
	} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		def, _, err := Import(ctx, doc, Options{})
		if err != nil {
			return
		}
		if err := def.Validate(); err != nil {
			t.Fatalf("the import accepted a definition the connector refuses: %v", err)
		}
		raw, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := connector.Parse(raw); err != nil {
			t.Fatalf("the imported definition does not parse back: %v", err)
		}
		if _, err := naming.Name(def.Name); err != nil {
			t.Fatalf("imported name %q: %v", def.Name, err)
		}
		for _, a := range def.Actions {
			if _, err := naming.Description(a.Description); err != nil {
				t.Fatalf("imported description of %s: %v", a.Key, err)
			}
		}
	})
}
