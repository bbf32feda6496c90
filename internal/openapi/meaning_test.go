package openapi

import (
	"encoding/json"
	"errors"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/plugboard/plugboard/internal/connector"
)

// built imports doc and builds the request for one action, so a test can
// assert what the upstream would receive.
func built(t *testing.T, doc []byte, key string, params map[string]any) *connector.PreparedRequest {
	t.Helper()
	def, _ := mustImport(t, doc, Options{})
	a := action(t, def, key)
	r, err := def.Build(a, connector.Production, params)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestImportNeverSendsDefaults: GitHub's repos/update documents
// private: false and has_wiki: true as defaults; a call that sets only the
// description must send only the description.
func TestImportNeverSendsDefaults(t *testing.T) {
	t.Parallel()
	doc := doc30(`
/repos/{owner}/{repo}:
  patch:
    operationId: repos/update
    parameters:
      - {name: owner, in: path, required: true, schema: {type: string}}
      - {name: repo, in: path, required: true, schema: {type: string}}
      - {name: per_page, in: query, schema: {type: integer, default: 30}}
    requestBody:
      content:
        application/json:
          schema:
            type: object
            properties:
              description: {type: string}
              private: {type: boolean, default: false, description: Whether the repository is private.}
              has_wiki: {type: boolean, default: true}
              archived: {type: boolean, default: false}
    responses: {"200": {description: ok}}`, `{}`)
	r := built(t, doc, "repos_update", map[string]any{"owner": "o", "repo": "r", "description": "new"})
	if string(r.Body) != `{"description":"new"}` || r.URL != "https://api.example.com/v1/repos/o/r" {
		t.Errorf("sent %s %s, want only the description and no query", r.URL, r.Body)
	}
	def, _ := mustImport(t, doc, Options{})
	private := param(t, action(t, def, "repos_update"), "private")
	if private.Default != nil || private.Description != "Whether the repository is private.\n\nDefault (when left out): false." {
		t.Errorf("private = %+v, want the default told, not set", private)
	}
}

// TestImportSerializesStyles imports parameters in every style and checks
// the request against what OpenAPI requires.
func TestImportSerializesStyles(t *testing.T) {
	t.Parallel()
	doc := doc30(`
/things/{ids}/{label}/{matrix}:
  get:
    operationId: listThings
    parameters:
      - {name: ids, in: path, required: true, schema: {type: array, items: {type: integer}}}
      - {name: label, in: path, required: true, style: label, explode: true, schema: {type: array, items: {type: string}}}
      - {name: matrix, in: path, required: true, style: matrix, schema: {type: object, properties: {a: {type: string}}}}
      - {name: opt_fields, in: query, explode: false, schema: {type: array, items: {type: string}}}
      - {name: tags, in: query, schema: {type: array, items: {type: string}}}
      - {name: sizes, in: query, style: pipeDelimited, explode: false, schema: {type: array, items: {type: string}}}
      - {name: words, in: query, style: spaceDelimited, explode: false, schema: {type: array, items: {type: string}}}
      - {name: created, in: query, style: deepObject, explode: true, schema: {type: object, properties: {gt: {type: integer}}}}
      - {name: X-Ids, in: header, schema: {type: array, items: {type: string}}}
      - {name: bad, in: query, style: matrix, schema: {type: array, items: {type: string}}}
    responses: {"200": {description: ok}}`, `{}`)
	r := built(t, doc, "list_things", map[string]any{
		"ids": []any{1, 2}, "label": []any{"a", "b"}, "matrix": map[string]any{"a": "x"},
		"opt_fields": []any{"name", "email"}, "tags": []any{"t1", "t2"}, "sizes": []any{"s", "m"},
		"words": []any{"x", "y"}, "created": map[string]any{"gt": 5}, "X-Ids": []any{"i", "j"}, "bad": []any{"p", "q"},
	})
	want := "https://api.example.com/v1/things/1,2/.a.b/;matrix=a,x?" +
		"bad=p&bad=q&created%5Bgt%5D=5&opt_fields=name,email&sizes=s%7Cm&tags=t1&tags=t2&words=x%20y"
	if r.URL != want {
		t.Errorf("URL\n got %s\nwant %s", r.URL, want)
	}
	if got := r.Header.Get("X-Ids"); got != "i,j" {
		t.Errorf("header X-Ids = %q", got)
	}
	_, report := mustImport(t, doc, Options{})
	if !hasSkip(report, "GET /things/{ids}/{label}/{matrix}", `parameter "bad": style "matrix" does not apply in query; the default is used`) {
		t.Errorf("no report of the style that does not apply:\n%s", skipReasons(report))
	}
}

// TestImportSwaggerCollectionFormats: Swagger 2.0's collectionFormat for
// each format, csv when unsaid, in the query and in form data.
func TestImportSwaggerCollectionFormats(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"swagger": "2.0", "info": {"title": "Formats", "version": "1"}, "host": "api.example.com", "schemes": ["https"],
	"paths": {"/items": {
	  "get": {"operationId": "listItems", "parameters": [
	    {"name": "csv", "in": "query", "type": "array", "items": {"type": "string"}, "collectionFormat": "csv"},
	    {"name": "unsaid", "in": "query", "type": "array", "items": {"type": "string"}},
	    {"name": "ssv", "in": "query", "type": "array", "items": {"type": "string"}, "collectionFormat": "ssv"},
	    {"name": "tsv", "in": "query", "type": "array", "items": {"type": "string"}, "collectionFormat": "tsv"},
	    {"name": "pipes", "in": "query", "type": "array", "items": {"type": "string"}, "collectionFormat": "pipes"},
	    {"name": "multi", "in": "query", "type": "array", "items": {"type": "string"}, "collectionFormat": "multi"}],
	    "responses": {"200": {"description": "ok"}}},
	  "post": {"operationId": "createItem", "consumes": ["application/x-www-form-urlencoded"], "parameters": [
	    {"name": "name", "in": "formData", "type": "string", "required": true},
	    {"name": "events", "in": "formData", "type": "array", "items": {"type": "string"}, "collectionFormat": "multi"},
	    {"name": "tags", "in": "formData", "type": "array", "items": {"type": "string"}}],
	    "responses": {"200": {"description": "ok"}}}}}}`)
	two := []any{"a", "b"}
	r := built(t, doc, "list_items", map[string]any{"csv": two, "unsaid": two, "ssv": two, "tsv": two, "pipes": two, "multi": two})
	if want := "https://api.example.com/items?csv=a,b&multi=a&multi=b&pipes=a%7Cb&ssv=a%20b&tsv=a%09b&unsaid=a,b"; r.URL != want {
		t.Errorf("URL\n got %s\nwant %s", r.URL, want)
	}
	r = built(t, doc, "create_item", map[string]any{"name": "n 1", "events": two, "tags": two})
	if string(r.Body) != "name=n+1&events=a&events=b&tags=a,b" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("form body %s (%s)", r.Body, r.Header.Get("Content-Type"))
	}
}

// TestImportFormEncoding: a form body's encoding object sets each field's
// style; a field without one gets OpenAPI's default for forms.
func TestImportFormEncoding(t *testing.T) {
	t.Parallel()
	doc := doc30(`
/v1/customers:
  post:
    operationId: PostCustomers
    requestBody:
      content:
        application/x-www-form-urlencoded:
          encoding:
            metadata: {style: deepObject, explode: true}
            expand: {style: deepObject, explode: true}
          schema:
            type: object
            properties:
              email: {type: string}
              metadata: {type: object, additionalProperties: {type: string}}
              expand: {type: array, items: {type: string}}
              tags: {type: array, items: {type: string}}
    responses: {"200": {description: ok}}`, `{}`)
	r := built(t, doc, "post_customers", map[string]any{
		"email": "a@b.c", "metadata": map[string]any{"k": "v"}, "expand": []any{"x"}, "tags": []any{"t", "u"}})
	if want := "email=a%40b.c&expand%5B0%5D=x&metadata%5Bk%5D=v&tags=t&tags=u"; string(r.Body) != want {
		t.Errorf("body\n got %s\nwant %s", r.Body, want)
	}
}

// TestImportAcceptsDiscriminatorMappingsAndKeywordNames: DigitalOcean maps
// discriminator values to schemas in other files, and Kubernetes has
// properties named $ref and $schema; neither refuses the document.
func TestImportAcceptsDiscriminatorMappingsAndKeywordNames(t *testing.T) {
	t.Parallel()
	paths := `
/records:
  post:
    operationId: createRecord
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            properties:
              record:
                oneOf: [{$ref: "#/components/schemas/A"}]
                discriminator:
                  propertyName: type
                  mapping: {A: "models/domain_record_types.yml#/domain_record_a"}
              props:
                type: object
                properties:
                  $ref: {type: string}
                  $schema: {type: string}
    responses: {"201": {description: ok}}`
	components := `
schemas:
  A: {type: object, properties: {type: {type: string}}}`
	yamlDoc := doc30(paths, components)
	var tree map[string]any
	if err := yaml.Unmarshal(yamlDoc, &tree); err != nil {
		t.Fatal(err)
	}
	jsonDoc, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string][]byte{"yaml": yamlDoc, "json": jsonDoc} {
		def, _ := mustImport(t, doc, Options{})
		props := param(t, action(t, def, "create_record"), "props")
		if _, err := action(t, def, "create_record").CheckParams(map[string]any{"props": map[string]any{"$ref": "x", "$schema": "y"}}); err != nil {
			t.Errorf("%s: %v (props %+v)", name, err, props)
		}
	}
}

// TestImportChecksTheNameFirst: the name check runs on the parsed
// document, before references are resolved and operations built.
func TestImportChecksTheNameFirst(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"openapi": "3.0.3", "info": {"title": "Taken API", "version": "1"},
		"paths": {"/x": {"get": {"parameters": [{"$ref": "#/components/parameters/missing"}], "responses": {"200": {"description": "ok"}}}}}}`)
	taken := errors.New("taken")
	var seen []string
	check := func(name string) error { seen = append(seen, name); return taken }
	_, _, err := Import(t.Context(), doc, Options{CheckName: check})
	if !errors.Is(err, taken) || len(seen) != 1 || seen[0] != "Taken API" {
		t.Errorf("err = %v, names checked %q; want the check's error for the document's title", err, seen)
	}
	_, _, err = Import(t.Context(), doc, Options{Name: "Mine", CheckName: check})
	if !errors.Is(err, taken) || seen[1] != "Mine" {
		t.Errorf("with a name: err = %v, checked %q", err, seen)
	}
	// Without the check the same document fails later, on its reference.
	if _, _, err := Import(t.Context(), doc, Options{ServerURL: "https://x.example"}); err == nil || errors.Is(err, taken) {
		t.Errorf("without a check: %v", err)
	}
}

// TestImportContentParameter: a query parameter described as JSON content
// is sent as its JSON text, which the caller gives.
func TestImportContentParameter(t *testing.T) {
	t.Parallel()
	doc := doc30(`
/search:
  get:
    operationId: search
    parameters:
      - name: filter
        in: query
        content:
          application/json:
            schema: {type: object, properties: {status: {type: string}}}
    responses: {"200": {description: ok}}`, `{}`)
	r := built(t, doc, "search", map[string]any{"filter": `{"status":"open"}`})
	if want := "https://api.example.com/v1/search?filter=%7B%22status%22%3A%22open%22%7D"; r.URL != want {
		t.Errorf("URL %s, want %s", r.URL, want)
	}
	_, report := mustImport(t, doc, Options{})
	if !hasSkip(report, "GET /search", `parameter "filter" is JSON content; imported as a string to be given already serialized`) {
		t.Errorf("no report:\n%s", skipReasons(report))
	}
}
