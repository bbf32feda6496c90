package openapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
)

func TestImportParameters(t *testing.T) {
	t.Parallel()
	doc := doc30(`
/items/{id}:
  parameters:
    - {name: id, in: path, required: true, description: from the path item, schema: {type: string}}
    - {name: verbose, in: query, schema: {type: boolean}}
  get:
    parameters:
      - {name: id, in: path, required: true, description: from the operation, schema: {type: integer}}
      - {name: session, in: cookie, schema: {type: string}}
      - {name: Authorization, in: header, schema: {type: string}}
      - {name: X-Trace, in: header, schema: {type: string}}
    responses: {"200": {description: ok}}
/items/{id}/parts/{part}:
  get:
    operationId: listParts
    deprecated: true
    summary: List parts
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    responses: {"200": {description: ok}}`, `{}`)
	def, report := mustImport(t, doc, Options{})

	get := action(t, def, "get_items_id")
	assertEqual(t, "name without summary or operationId", get.Name, "GET /items/{id}")
	// The operation's id replaces the path item's, in the path item's place.
	assertEqual(t, "parameters", get.Parameters, connector.Params{
		{Name: "id", In: "path", Required: true, Description: "from the operation", Schema: map[string]any{"type": "integer"}},
		{Name: "verbose", In: "query", Schema: map[string]any{"type": "boolean"}},
		{Name: "X-Trace", In: "header", Schema: map[string]any{"type": "string"}},
	})
	for _, want := range []string{`cookie parameter "session" left out`, `header parameter "Authorization" left out`} {
		if !hasSkip(report, "GET /items/{id}", want) {
			t.Errorf("no skip %q in %+v", want, report.Skipped)
		}
	}

	parts := action(t, def, "list_parts")
	assertEqual(t, "deprecated description", parts.Description, "Deprecated. List parts")
	assertEqual(t, "undeclared placeholder", param(t, parts, "part"), connector.Param{
		Name: "part", In: "path", Required: true, Schema: map[string]any{"type": "string"},
	})
	if !hasSkip(report, "GET /items/{id}/parts/{part}", `path parameter "part" is not declared`) {
		t.Errorf("no skip for the undeclared path parameter in %+v", report.Skipped)
	}
}

func TestImportRequestBodies(t *testing.T) {
	t.Parallel()
	doc := doc30(`
/files:
  post:
    operationId: uploadFile
    requestBody:
      required: true
      content:
        multipart/form-data:
          schema: {type: object, properties: {file: {type: string, format: binary}}}
    responses: {"201": {description: ok}}
  put:
    operationId: replaceFiles
    requestBody:
      content:
        application/octet-stream: {schema: {type: string, format: binary}}
        application/json: {schema: {type: array, items: {type: string}}}
    responses: {"200": {description: ok}}
  delete:
    operationId: deleteFiles
    requestBody:
      required: true
      content:
        application/json: {schema: {type: object, properties: {ids: {type: array, items: {type: string}}}}}
    responses: {"204": {description: gone}}
  patch:
    operationId: patchFiles
    requestBody:
      content:
        application/octet-stream: {schema: {type: string, format: binary}}
        text/plain: {schema: {type: string}}
    responses: {"200": {description: ok}}
/forms:
  post:
    operationId: postForm
    requestBody:
      content:
        application/x-www-form-urlencoded: {schema: {type: string}}
    responses: {"200": {description: ok}}
/notes:
  post:
    operationId: createNote
    requestBody:
      content:
        application/json:
          schema: {type: object, required: [text], properties: {text: {type: string}}}
    responses: {"201": {description: ok}}`, `{}`)
	def, report := mustImport(t, doc, Options{})
	if report.Operations != 6 || report.Imported != 3 {
		t.Errorf("imported %d of %d, want 3 of 6", report.Imported, report.Operations)
	}
	for _, want := range []Skip{
		{Operation: "DELETE /files", Reason: "not imported: it requires a request body, which Plugboard does not send with DELETE"},
		{Operation: "PATCH /files", Reason: "not imported: its request body is application/octet-stream, text/plain; Plugboard sends JSON, form"},
		{Operation: "POST /forms", Reason: "not imported: its form body is not an object with named fields, which a form needs"},
	} {
		if !hasSkip(report, want.Operation, want.Reason) {
			t.Errorf("no skip %+v in %+v", want, report.Skipped)
		}
	}
	// JSON wins over the other media types; a non-object body is one
	// parameter.
	assertEqual(t, "replace_files", action(t, def, "replace_files").Parameters, connector.Params{
		{Name: "body", In: "body", Schema: map[string]any{"type": "array", "items": map[string]any{"type": "string"}}},
	})
	upload := action(t, def, "upload_file")
	assertEqual(t, "upload_file", []any{upload.BodyType, upload.Parameters}, []any{connector.BodyMultipart, connector.Params{
		{Name: "file", In: "body", Schema: map[string]any{"type": "string", "format": "binary"}},
	}})
	// A field the schema requires is optional when the body itself is.
	assertEqual(t, "create_note", action(t, def, "create_note").Parameters, connector.Params{
		{Name: "text", In: "body", Schema: map[string]any{"type": "string"}},
	})
}

func TestImportKeys(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("verylongname", 10)
	doc := doc30(`
/a:
  get: {operationId: get-item, summary: Get item, responses: {"200": {description: ok}}}
  post: {operationId: get_item, summary: Get item, responses: {"200": {description: ok}}}
/b:
  get: {operationId: "repos/get-content", responses: {"200": {description: ok}}}
  post: {operationId: `+long+`, responses: {"200": {description: ok}}}
  trace: {operationId: traceB, responses: {"200": {description: ok}}}`, `{}`)
	def, report := mustImport(t, doc, Options{})
	var keys, names []string
	for _, a := range def.Actions {
		keys = append(keys, a.Key)
		names = append(names, a.Name)
	}
	assertEqual(t, "keys", keys, []string{"get_item", "get_item_2", "repos_get_content", long[:64]})
	assertEqual(t, "names", names, []string{"Get item", "Get item (get_item_2)", "repos/get-content", long[:99] + "…"})
	if !hasSkip(report, "TRACE /b", "the TRACE method is not supported") {
		t.Errorf("no skip for TRACE in %+v", report.Skipped)
	}
}

func TestImportErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		opts Options
		want string
	}{
		{"empty", "", Options{}, "empty"},
		{"not openapi", "title: hello\n", Options{}, `neither an "openapi" nor a "swagger" field`},
		{"openapi 4", "openapi: 4.0.0\n", Options{}, `openapi version "4.0.0" is not supported`},
		{"swagger 1.2", `{"swagger": "1.2"}`, Options{}, `swagger version "1.2" is not supported`},
		{"bad JSON", `{"openapi": "3.0.0",`, Options{}, "not valid JSON"},
		{"external ref", `{"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": {"/a": {"get": {"parameters": [{"$ref": "/etc/passwd#/x"}], "responses": {"200": {"description": "ok"}}}}}}`,
			Options{ServerURL: "https://a.example"}, `refers to another document ("/etc/passwd#/x")`},
		{"external schema ref over http", `openapi: 3.0.0
info: {title: x, version: "1"}
paths:
  /a:
    post:
      requestBody: {content: {application/json: {schema: {$ref: "http://169.254.169.254/latest#/x"}}}}
      responses: {"200": {description: ok}}`, Options{ServerURL: "https://a.example"}, "refers to another document"},
		{"negative limit", "openapi: 3.0.0\n", Options{MaxActions: -1}, "MaxActions must not be negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := Import(t.Context(), []byte(tc.doc), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestImportNothingToImport(t *testing.T) {
	t.Parallel()
	doc := doc30(`
/upload:
  post:
    requestBody: {required: true, content: {text/csv: {schema: {type: string}}}}
    responses: {"200": {description: ok}}`, `{}`)
	def, report, err := Import(t.Context(), doc, Options{})
	if !errors.Is(err, ErrNoActions) || def != nil {
		t.Fatalf("Import = %v, %v; want ErrNoActions", def, err)
	}
	if report == nil || len(report.Skipped) != 1 || report.Skipped[0].Operation != "POST /upload" {
		t.Fatalf("report = %+v, want the reason POST /upload was skipped", report)
	}
}

func TestSlugMakesSnakeCase(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"listPets": "list_pets", "showPetById": "show_pet_by_id", "getHTTPStatus": "get_http_status",
		"CreateMessage": "create_message", "GetCustomersCustomer": "get_customers_customer",
		"repos/get-content": "repos_get_content", "v1ListUsers": "v1_list_users", "list_pets": "list_pets",
		"conversations.history": "conversations_history", "API": "api", "getV2Users": "get_v2_users",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}
