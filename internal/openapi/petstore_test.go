package openapi

import (
	"slices"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
)

// The Petstore documents describe the same 20 operations in Swagger 2.0,
// OpenAPI 3.0 (JSON and YAML) and OpenAPI 3.1.
var petstores = []struct {
	name string
	path string
}{
	{"swagger 2.0", petstore20},
	{"openapi 3.0", petstore30},
	{"openapi 3.0 yaml", petstoreYAML},
	{"openapi 3.1", petstore31},
}

func TestImportPetstore(t *testing.T) {
	t.Parallel()
	for _, tc := range petstores {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := publicDocument(t, tc.path)
			def, report := mustImport(t, doc, Options{})

			if want := countOperations(t, doc); report.Operations != want {
				t.Errorf("report.Operations = %d, the document has %d", report.Operations, want)
			}
			if report.Imported != 20 || len(def.Actions) != 20 {
				t.Errorf("imported %d (%d actions), want all 20", report.Imported, len(def.Actions))
			}
			assertEqual(t, "name", def.Name, "Swagger Petstore")
			assertEqual(t, "base URL", def.BaseURL, "http://petstore.swagger.io/v2")

			get := action(t, def, "getpetbyid")
			assertEqual(t, "getpetbyid", []string{get.Name, get.Method, get.Endpoint}, []string{"Find pet by ID", "GET", "/pet/{petId}"})
			assertEqual(t, "getpetbyid description", get.Description, "Find pet by ID\n\nReturns a single pet")
			assertEqual(t, "petId", param(t, get, "petId"), connector.Param{
				Name: "petId", In: "path", Required: true, Description: "ID of pet to return",
				Schema: map[string]any{"type": "integer", "format": "int64"},
			})

			add := action(t, def, "addpet")
			var names []string
			for _, p := range add.Parameters {
				names = append(names, p.Name)
			}
			// Required fields first, in the schema's order, then by name.
			want := []string{"name", "photoUrls", "category", "id", "status", "tags"}
			if tc.path != petstore20 {
				want = slices.Delete(want, 3, 4) // readOnly since 3.0: never sent
			}
			assertEqual(t, "addpet parameters", names, want)
			assertEqual(t, "addpet name", param(t, add, "name"), connector.Param{
				Name: "name", In: "body", Required: true, Schema: map[string]any{"type": "string"},
			})
			assertEqual(t, "addpet status", param(t, add, "status").Schema, map[string]any{
				"type": "string", "enum": []any{"available", "pending", "sold"},
			})

			// An array body has no fields to spread: it is one parameter.
			list := action(t, def, "createuserswitharrayinput")
			if len(list.Parameters) != 1 || list.Parameters[0].Name != "body" || list.Parameters[0].Schema["type"] != "array" {
				t.Errorf("createuserswitharrayinput parameters = %+v, want one array named body", list.Parameters)
			}

			// The cookie-free api_key header wins; the implicit OAuth flow
			// cannot be used and says so.
			assertEqual(t, "auth", def.Auth, connector.Auth{Type: "api_key", Location: "header", Key: "api_key"})
			if !hasSkip(report, "security scheme petstore_auth", "implicit flow is not supported") {
				t.Errorf("no skip for the implicit OAuth flow in %+v", report.Skipped)
			}
			if !hasSkip(report, "PUT /user/{username}", `body parameter "username" left out: a path parameter has the same name`) {
				t.Errorf("no skip for the body field that collides with the path parameter in %+v", report.Skipped)
			}
		})
	}
}

func TestImportPetstoreSkipsNonJSONBodies(t *testing.T) {
	t.Parallel()
	_, report := mustImport(t, publicDocument(t, petstore30), Options{})
	for _, want := range []Skip{
		{Operation: "POST /pet/{petId}", Reason: "optional request body (application/x-www-form-urlencoded) left out: only JSON bodies are supported", Partial: true},
		{Operation: "POST /pet/{petId}/uploadImage", Reason: "optional request body (multipart/form-data) left out: only JSON bodies are supported", Partial: true},
	} {
		if !hasSkip(report, want.Operation, want.Reason) {
			t.Errorf("missing skip %+v in %+v", want, report.Skipped)
		}
	}
}

func TestImportPetstoreFilters(t *testing.T) {
	t.Parallel()
	doc := publicDocument(t, petstore20)
	tests := []struct {
		name string
		opts Options
		keys []string
	}{
		{"tag", Options{Tags: []string{"store"}}, []string{"getinventory", "placeorder", "getorderbyid", "deleteorder"}},
		{"path prefix", Options{PathPrefixes: []string{"/user/"}}, []string{
			"createuserswitharrayinput", "createuserswithlistinput", "loginuser", "logoutuser",
			"getuserbyname", "updateuser", "deleteuser",
		}},
		{"operations", Options{Operations: []string{"deletePet", "getPetById"}}, []string{"getpetbyid", "deletepet"}},
		{"tag and prefix", Options{Tags: []string{"pet"}, PathPrefixes: []string{"/pet/find"}}, []string{"findpetsbystatus", "findpetsbytags"}},
		{"max actions", Options{MaxActions: 2}, []string{"updatepet", "addpet"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			def, report := mustImport(t, doc, tc.opts)
			var keys []string
			for _, a := range def.Actions {
				keys = append(keys, a.Key)
			}
			assertEqual(t, "keys", keys, tc.keys)
			if report.Operations != 20 || report.Imported != len(tc.keys) {
				t.Errorf("report %d of %d, want %d of 20", report.Imported, report.Operations, len(tc.keys))
			}
		})
	}

	_, report := mustImport(t, doc, Options{Tags: []string{"store"}})
	if !hasSkip(report, "GET /user/login", "not selected: has none of the tags store") {
		t.Errorf("no filter skip for GET /user/login in %+v", report.Skipped)
	}
	_, report = mustImport(t, doc, Options{MaxActions: 2})
	if !hasSkip(report, "DELETE /user/{username}", "over the limit of 2 actions") {
		t.Errorf("no limit skip for DELETE /user/{username} in %+v", report.Skipped)
	}
}

func TestImportUnknownOperationID(t *testing.T) {
	t.Parallel()
	_, _, err := Import(t.Context(), publicDocument(t, petstore20), Options{Operations: []string{"getPet"}})
	if err == nil || !strings.Contains(err.Error(), `no operation with operationId "getPet"`) {
		t.Fatalf("err = %v, want one naming the unknown operationId", err)
	}
}
