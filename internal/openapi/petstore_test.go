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
			wantActions := 20
			if tc.path == petstore31 {
				// Its image upload is a raw application/octet-stream body.
				wantActions = 19
				if !hasSkip(report, "POST /pet/{petId}/uploadImage", "not imported: its request body is application/octet-stream") {
					t.Errorf("no skip for the raw upload in %+v", report.Skipped)
				}
			}
			if report.Imported != wantActions || len(def.Actions) != wantActions {
				t.Errorf("imported %d (%d actions), want %d", report.Imported, len(def.Actions), wantActions)
			}
			assertEqual(t, "name", def.Name, "Swagger Petstore")
			assertEqual(t, "base URL", def.BaseURL, "http://petstore.swagger.io/v2")

			get := action(t, def, "get_pet_by_id")
			assertEqual(t, "get_pet_by_id", []string{get.Name, get.Method, get.Endpoint}, []string{"Find pet by ID", "GET", "/pet/{petId}"})
			assertEqual(t, "getpetbyid description", get.Description, "Find pet by ID\n\nReturns a single pet")
			assertEqual(t, "petId", param(t, get, "petId"), connector.Param{
				Name: "petId", In: "path", Required: true, Description: "ID of pet to return",
				Schema: map[string]any{"type": "integer", "format": "int64"},
			})

			add := action(t, def, "add_pet")
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
			list := action(t, def, "create_users_with_array_input")
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

// TestImportPetstoreFormAndMultipartBodies: the pet store updates a pet
// with a form and uploads its image as multipart; both are imported with
// their fields.
func TestImportPetstoreFormAndMultipartBodies(t *testing.T) {
	t.Parallel()
	def, report := mustImport(t, publicDocument(t, petstore30), Options{})
	update := action(t, def, "update_pet_with_form")
	assertEqual(t, "update_pet_with_form body type", update.BodyType, connector.BodyForm)
	var names []string
	for _, p := range update.Parameters {
		names = append(names, p.In+" "+p.Name)
	}
	assertEqual(t, "update_pet_with_form parameters", names, []string{"path petId", "body name", "body status"})
	upload := action(t, def, "upload_file")
	assertEqual(t, "upload_file body type", upload.BodyType, connector.BodyMultipart)
	if file := param(t, upload, "file"); !file.IsFile() {
		t.Errorf("upload_file file = %+v, want a file part", file)
	}
	for _, s := range report.Skipped {
		if strings.Contains(s.Reason, "body") && s.Operation != "PUT /user/{username}" {
			t.Errorf("unexpected skip %+v", s)
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
		{"tag", Options{Tags: []string{"store"}}, []string{"get_inventory", "place_order", "get_order_by_id", "delete_order"}},
		{"path prefix", Options{PathPrefixes: []string{"/user/"}}, []string{
			"create_users_with_array_input", "create_users_with_list_input", "login_user", "logout_user",
			"get_user_by_name", "update_user", "delete_user",
		}},
		{"operations", Options{Operations: []string{"deletePet", "getPetById"}}, []string{"get_pet_by_id", "delete_pet"}},
		{"tag and prefix", Options{Tags: []string{"pet"}, PathPrefixes: []string{"/pet/find"}}, []string{"find_pets_by_status", "find_pets_by_tags"}},
		{"max actions", Options{MaxActions: 2}, []string{"update_pet", "add_pet"}},
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
