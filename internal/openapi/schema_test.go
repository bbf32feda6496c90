package openapi

import (
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
)

// doc30 wraps paths and components in a minimal OpenAPI 3.0 document.
func doc30(paths, components string) []byte {
	return []byte(`openapi: 3.0.3
info: {title: Synthetic, version: "1"}
servers: [{url: "https://api.example.com/v1"}]
paths:
` + indent(paths) + `
components:
` + indent(components))
}

func indent(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}

func TestImportMergesAllOf(t *testing.T) {
	t.Parallel()
	doc := doc30(`
/pets:
  post:
    operationId: createPet
    requestBody:
      required: true
      content:
        application/json:
          schema:
            allOf:
              - $ref: "#/components/schemas/Base"
              - type: object
                required: [tag]
                properties:
                  tag: {type: string, description: "A label."}
    responses: {"201": {description: created}}`, `
schemas:
  Base:
    type: object
    required: [name]
    properties:
      id: {type: integer, format: int64, readOnly: true}
      name: {type: string, minLength: 1, maxLength: 40}`)
	def, _ := mustImport(t, doc, Options{})
	assertEqual(t, "parameters", action(t, def, "create_pet").Parameters, connector.Params{
		{Name: "name", In: "body", Required: true, Schema: map[string]any{"type": "string", "minLength": 1.0, "maxLength": 40.0}},
		{Name: "tag", In: "body", Required: true, Description: "A label.", Schema: map[string]any{"type": "string"}},
	})
}

func TestImportCutsCyclesAndDepth(t *testing.T) {
	t.Parallel()
	doc := doc30(`
/trees:
  post:
    operationId: plantTree
    requestBody:
      content:
        application/json:
          schema: {$ref: "#/components/schemas/Node"}
    responses: {"201": {description: planted}}`, `
schemas:
  Node:
    type: object
    properties:
      value: {type: string}
      meta:
        type: object
        properties:
          owner:
            type: object
            description: Who planted it.
            properties: {name: {type: string}}
      children:
        type: array
        items: {$ref: "#/components/schemas/Node"}`)
	def, report := mustImport(t, doc, Options{})
	children := param(t, action(t, def, "plant_tree"), "children")
	assertEqual(t, "children", children.Schema, map[string]any{
		"type":  "array",
		"items": map[string]any{"type": "object", "description": recursiveNote},
	})
	if !hasSkip(report, "POST /trees", `parameter "children": recursive schema`) {
		t.Errorf("no skip for the recursive schema in %+v", report.Skipped)
	}

	def, report = mustImport(t, doc, Options{MaxSchemaDepth: 1})
	meta := param(t, action(t, def, "plant_tree"), "meta")
	assertEqual(t, "meta at depth 1", meta.Schema, map[string]any{
		"type": "object",
		"properties": map[string]any{
			"owner": map[string]any{"type": "object", "description": "Who planted it."},
		},
	})
	if !hasSkip(report, "POST /trees", `parameter "meta": schema levels deeper than 1`) {
		t.Errorf("no skip for the depth limit in %+v", report.Skipped)
	}
}

func TestImportKeepsOneOfAndNormalizesBounds(t *testing.T) {
	t.Parallel()
	doc := doc30(`
/search:
  get:
    operationId: search
    parameters:
      - name: limit
        in: query
        schema: {type: integer, minimum: 0, exclusiveMinimum: true, maximum: 100, default: 10}
      - name: filter
        in: query
        schema:
          oneOf:
            - {type: string}
            - {type: array, items: {type: string}}
    responses: {"200": {description: ok}}`, `{}`)
	def, _ := mustImport(t, doc, Options{})
	a := action(t, def, "search")
	assertEqual(t, "limit", param(t, a, "limit"), connector.Param{
		Name: "limit", In: "query", Description: "Default (when left out): 10.",
		Schema: map[string]any{"type": "integer", "exclusiveMinimum": 0.0, "maximum": 100.0},
	})
	assertEqual(t, "filter", param(t, a, "filter").Schema, map[string]any{
		"oneOf": []any{
			map[string]any{"type": "string"},
			map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		},
	})
}

func TestImportOpenAPI31(t *testing.T) {
	t.Parallel()
	doc := []byte(`openapi: 3.1.0
info: {title: Modern, version: "1", description: "  An API in 3.1.  "}
externalDocs: {url: "https://docs.example.com"}
servers: [{url: "https://api.example.com"}]
webhooks:
  newThing:
    post:
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
paths:
  /things/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string, description: path level}}
    patch:
      operationId: updateThing
      parameters:
        - {name: id, in: path, required: true, description: "Thing id.", schema: {type: string, pattern: "^[a-z]+$"}}
      requestBody:
        required: true
        content:
          application/merge-patch+json:
            schema:
              type: object
              required: [kind]
              properties:
                kind: {const: gadget}
                note: {type: [string, "null"], examples: [hello]}
                size: {type: number, exclusiveMinimum: 0}
                label: {$ref: "#/components/schemas/Label", description: "Overrides the label's description."}
      responses: {"200": {description: ok}}
components:
  schemas:
    Label: {type: string, description: A label, maxLength: 20}
`)
	def, report := mustImport(t, doc, Options{})
	assertEqual(t, "description", def.Description, "An API in 3.1.")
	assertEqual(t, "documentation", def.DocumentationURL, "https://docs.example.com")
	a := action(t, def, "update_thing")
	assertEqual(t, "parameters", a.Parameters, connector.Params{
		{Name: "id", In: "path", Required: true, Description: "Thing id.", Schema: map[string]any{"type": "string", "pattern": "^[a-z]+$"}},
		{Name: "kind", In: "body", Required: true, Schema: map[string]any{"const": "gadget"}},
		{Name: "label", In: "body", Description: "Overrides the label's description.", Schema: map[string]any{"type": "string", "maxLength": 20.0}},
		{Name: "note", In: "body", Schema: map[string]any{"type": "string"}},
		{Name: "size", In: "body", Schema: map[string]any{"type": "number", "exclusiveMinimum": 0.0}},
	})
	if report.Operations != 1 {
		t.Errorf("report.Operations = %d; webhooks are not operations to call", report.Operations)
	}
}
