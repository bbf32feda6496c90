package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// Public API descriptions, installed by npm into the openapi package's
// testdata (never copied into the repository).
const (
	petstore20   = "@readme/oas-examples/2.0/json/petstore.json"
	petstore30   = "@readme/oas-examples/3.0/yaml/petstore.yaml"
	petstore31   = "@readme/oas-examples/3.1/json/petstore.json"
	githubREST   = "@octokit/openapi/generated/api.github.com.json"
	openapiNPMCI = "npm ci --prefix internal/openapi/testdata"
)

func publicDocument(tb testing.TB, rel string) []byte {
	tb.Helper()
	path := filepath.Join("..", "openapi", "testdata", "node_modules", filepath.FromSlash(rel))
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		msg := path + " is not installed; run `" + openapiNPMCI + "` from the repository root"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// serveDocument serves doc at a loopback URL.
func serveDocument(t *testing.T, doc []byte) string { return serveDocumentB(t, doc) }

func serveDocumentB(t testing.TB, doc []byte) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/openapi.json"
}

func actionOf(t *testing.T, in *client.Integration, key string) client.Action {
	t.Helper()
	for _, a := range in.Actions {
		if a.Key == key {
			return a
		}
	}
	t.Fatalf("no action %q among %d", key, len(in.Actions))
	return client.Action{}
}

func keysOf(in *client.Integration) string {
	var keys []string
	for _, a := range in.Actions {
		keys = append(keys, a.Key)
	}
	return strings.Join(keys, ",")
}

func assertSameJSON(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad want: %v", what, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s:\n got %s\nwant %s", what, gb, wb)
	}
}

func TestImportPetstore(t *testing.T) {
	t.Parallel()
	v20, v30, v31 := publicDocument(t, petstore20), publicDocument(t, petstore30), publicDocument(t, petstore31)
	storetest.Engines(t, func(t *testing.T, engine string) {
		srv := servertest.Start(t, servertest.Options{Engine: engine})
		c, ctx := srv.Client, context.Background()

		t.Run("swagger 2.0 as JSON: every operation, exact schemas, the api_key auth", func(t *testing.T) {
			in, err := c.Import(ctx, client.ImportInput{OpenAPI: v20})
			if err != nil {
				t.Fatal(err)
			}
			if in.Name != "Swagger Petstore" || in.Status != "draft" || in.Version != 1 || in.BaseURL != "http://petstore.swagger.io/v2" {
				t.Errorf("integration = %+v", in)
			}
			if in.Report == nil || in.Report.Operations != 20 || in.Report.Imported != 20 || len(in.Actions) != 20 {
				t.Fatalf("report = %+v with %d actions", in.Report, len(in.Actions))
			}
			get := actionOf(t, in, "get_pet_by_id")
			if get.Method != "GET" || get.Endpoint != "/pet/{petId}" || get.Tool != "swagger_petstore__get_pet_by_id" {
				t.Errorf("getpetbyid = %+v", get)
			}
			assertSameJSON(t, "getpetbyid input schema", get.InputSchema, `{"type": "object", "required": ["petId"], "additionalProperties": false,
				"properties": {"petId": {"type": "integer", "format": "int64", "description": "ID of pet to return"}}}`)
			assertSameJSON(t, "findpetsbystatus input schema", actionOf(t, in, "find_pets_by_status").InputSchema, `{"type": "object", "required": ["status"], "additionalProperties": false,
				"properties": {"status": {"type": "array", "description": "Status values that need to be considered for filter",
				"items": {"type": "string", "enum": ["available", "pending", "sold"], "default": "available"}}}}`)
			var def struct {
				Auth map[string]any `json:"auth"`
			}
			if err := json.Unmarshal(in.Definition, &def); err != nil {
				t.Fatal(err)
			}
			assertSameJSON(t, "auth", mustJSON(t, def.Auth), `{"type": "api_key", "location": "header", "key": "api_key"}`)
			if !hasSkipped(in.Report, "security scheme petstore_auth", "implicit flow") {
				t.Errorf("the unusable OAuth flow is not reported: %+v", in.Report.Skipped)
			}
		})

		t.Run("openapi 3.0 as a YAML string, filtered by tag, with its own name and auth", func(t *testing.T) {
			yaml, _ := json.Marshal(string(v30))
			in, err := c.Import(ctx, client.ImportInput{OpenAPI: yaml, Name: "Pet Store Orders", Tags: []string{"store"}, Auth: json.RawMessage(`"bearer"`)})
			if err != nil {
				t.Fatal(err)
			}
			if in.Name != "Pet Store Orders" || in.Auth != "bearer" || keysOf(in) != "get_inventory,place_order,get_order_by_id,delete_order" {
				t.Fatalf("integration %q auth %q actions %s", in.Name, in.Auth, keysOf(in))
			}
			if in.Report.Operations != 20 || in.Report.Imported != 4 || !hasSkipped(in.Report, "GET /user/login", "not selected") {
				t.Errorf("report = %+v", in.Report)
			}
		})

		t.Run("openapi 3.1 by URL, filtered by path prefix, with another server URL", func(t *testing.T) {
			in, err := c.Import(ctx, client.ImportInput{OpenAPIURL: serveDocument(t, v31), Name: "Pet Store Users",
				PathPrefixes: []string{"/user/"}, ServerURL: "https://pets.example.com/v3"})
			if err != nil {
				t.Fatal(err)
			}
			if keysOf(in) != "create_users_with_array_input,create_users_with_list_input,login_user,logout_user,get_user_by_name,update_user,delete_user" || in.BaseURL != "https://pets.example.com/v3" {
				t.Fatalf("actions %s, base URL %s", keysOf(in), in.BaseURL)
			}
		})

		t.Run("the same name twice is a conflict", func(t *testing.T) {
			_, err := c.Import(ctx, client.ImportInput{OpenAPI: v20, Tags: []string{"user"}})
			assertProblem(t, err, http.StatusConflict, "already exists")
			// The name read from the document is checked before the
			// operations are built: a filter that keeps none is not
			// reached.
			_, err = c.Import(ctx, client.ImportInput{OpenAPI: v20, Tags: []string{"no such tag"}})
			assertProblem(t, err, http.StatusConflict, "already exists")
		})
	})
}

func TestImportRefusals(t *testing.T) {
	t.Parallel()
	v20 := publicDocument(t, petstore20)
	srv := servertest.Start(t, servertest.Options{})
	c, ctx := srv.Client, context.Background()

	_, err := c.Import(ctx, client.ImportInput{OpenAPI: v20, Tags: []string{"no such tag"}})
	assertProblem(t, err, http.StatusUnprocessableEntity, "none of the document's operations passes")
	_, err = c.Import(ctx, client.ImportInput{OpenAPI: json.RawMessage(`{"openapi": "3.0.0"}`)})
	assertProblem(t, err, http.StatusBadRequest, "could not be imported")
	_, err = c.Import(ctx, client.ImportInput{Name: "nothing"})
	assertProblem(t, err, http.StatusBadRequest, "openapi_url")
	_, err = c.Import(ctx, client.ImportInput{OpenAPI: v20, Auth: json.RawMessage(`{"type": "api_key"}`)})
	assertProblem(t, err, http.StatusBadRequest, "auth")

	t.Run("plan limits hold", func(t *testing.T) {
		if err := c.Do(ctx, "PATCH", "/v1/org", map[string]string{"plan": "free"}, nil); err != nil {
			t.Fatal(err)
		}
		for _, tag := range []string{"pet", "store"} {
			if _, err := c.Import(ctx, client.ImportInput{OpenAPI: v20, Tags: []string{tag}, Name: "Petstore " + tag}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := c.Import(ctx, client.ImportInput{OpenAPI: v20, Tags: []string{"user"}, Name: "Petstore user"})
		assertProblem(t, err, http.StatusForbidden, "free plan allows 2")
	})

	t.Run("a URL to a private address is refused by the SSRF guard", func(t *testing.T) {
		guarded := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) { c.AllowPrivateNetworks = false }})
		_, err := guarded.Client.Import(ctx, client.ImportInput{OpenAPIURL: serveDocument(t, v20)})
		assertProblem(t, err, http.StatusBadRequest, "openapi_url was refused")
	})
}

// TestImportGitHub imports GitHub's REST description (about a thousand
// operations, 13 MB) by URL, whole and filtered.
func TestImportGitHub(t *testing.T) {
	t.Parallel()
	doc := publicDocument(t, githubREST)
	srv := servertest.Start(t, servertest.Options{Engine: store.SQLite})
	c, ctx, url := srv.Client, context.Background(), serveDocument(t, doc)

	in, err := c.Import(ctx, client.ImportInput{OpenAPIURL: url, Auth: json.RawMessage(`{"type": "bearer"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		t.Fatal(err)
	}
	ops := 0
	for _, item := range raw.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				ops++
			}
		}
	}
	r := in.Report
	if r.Operations != ops || r.Imported < 1000 || r.Imported != len(in.Actions) || len(r.Skipped) == 0 {
		t.Fatalf("imported %d of %d operations (the document has %d), %d actions, %d skipped", r.Imported, r.Operations, ops, len(in.Actions), len(r.Skipped))
	}
	wholeSkips := 0
	for _, s := range r.Skipped {
		if s.Reason == "" {
			t.Errorf("skip without a reason: %+v", s)
		}
		if !s.Partial {
			wholeSkips++
		}
	}
	if r.Imported+wholeSkips < r.Operations {
		t.Errorf("%d imported and %d skipped whole do not account for %d operations", r.Imported, wholeSkips, r.Operations)
	}
	if in.Auth != "bearer" || in.BaseURL != "https://api.github.com" {
		t.Errorf("auth %q, base URL %q", in.Auth, in.BaseURL)
	}
	assertSameJSON(t, "repos_get input schema", actionOf(t, in, "repos_get").InputSchema, `{"type": "object", "required": ["owner", "repo"], "additionalProperties": false,
		"properties": {"owner": {"type": "string", "description": "The account owner of the repository. The name is not case sensitive."},
		"repo": {"type": "string", "description": "The name of the repository without the `+"`.git`"+` extension. The name is not case sensitive."}}}`)
	t.Logf("imported %d of %d operations; %d skip entries", r.Imported, r.Operations, len(r.Skipped))

	issues, err := c.Import(ctx, client.ImportInput{OpenAPIURL: url, Name: "GitHub Issues", Tags: []string{"issues"}, PathPrefixes: []string{"/repos/"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(issues.Actions); n < 20 || n > 100 {
		t.Errorf("%d issue actions, want a few dozen", n)
	}
	for _, a := range issues.Actions {
		if !strings.HasPrefix(a.Key, "issues_") || !strings.HasPrefix(a.Endpoint, "/repos/") {
			t.Errorf("action %s %s is not an issues operation under /repos/", a.Key, a.Endpoint)
		}
	}
}

func hasSkipped(r *client.ImportReport, operation, reason string) bool {
	for _, s := range r.Skipped {
		if s.Operation == operation && strings.Contains(s.Reason, reason) {
			return true
		}
	}
	return false
}

func assertProblem(t *testing.T, err error, status int, detail string) {
	t.Helper()
	var ae *client.Error
	if !errors.As(err, &ae) || ae.Status != status || !strings.Contains(ae.Detail, detail) {
		t.Fatalf("err = %v, want %d saying %q", err, status, detail)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
