package cli_test

import (
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
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// petstore returns the path of a Petstore description installed by npm
// into the openapi package's testdata.
func petstore(t *testing.T, rel string) string {
	t.Helper()
	path := filepath.Join("..", "openapi", "testdata", "node_modules", "@readme", "oas-examples", filepath.FromSlash(rel))
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		msg := path + " is not installed; run `npm ci --prefix internal/openapi/testdata` from the repository root"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

func TestCLIImport(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})

	t.Run("a YAML file, filtered by tag", func(t *testing.T) {
		r := run(t, srv, "", "integrations", "import", petstore(t, "3.0/yaml/petstore.yaml"), "--tag", "store", "--name", "Pet Orders")
		if r.code != 0 {
			t.Fatalf("import: %+v", r)
		}
		for _, want := range []string{"imported Pet Orders", "pet_orders__place_order", "imported 4 of 20 operations", "skipped GET /user/login: not selected"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, r.stdout)
			}
		}
	})

	t.Run("a URL, filtered by path, as JSON", func(t *testing.T) {
		doc, err := os.ReadFile(petstore(t, "2.0/json/petstore.json"))
		if err != nil {
			t.Fatal(err)
		}
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(doc) }))
		defer up.Close()
		r := run(t, srv, "", "integrations", "import", up.URL+"/swagger.json", "--path-prefix", "/user/", "--name", "Pet Users", "--auth", "bearer", "-o", "json")
		if r.code != 0 {
			t.Fatalf("import: %+v", r)
		}
		var in client.Integration
		if err := json.Unmarshal([]byte(r.stdout), &in); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
		}
		if in.Name != "Pet Users" || in.Auth != "bearer" || len(in.Actions) != 7 || in.Report == nil || in.Report.Imported != 7 {
			t.Fatalf("imported %+v", in)
		}
	})

	t.Run("a missing file is a usage error", func(t *testing.T) {
		r := run(t, srv, "", "integrations", "import", filepath.Join(t.TempDir(), "nope.yaml"))
		if r.code != 2 || !strings.Contains(r.stderr, "does not exist") {
			t.Fatalf("missing file: %+v", r)
		}
	})

	t.Run("a document without operations says so", func(t *testing.T) {
		r := run(t, srv, `{"openapi": "3.0.3", "info": {"title": "Empty", "version": "1"}, "servers": [{"url": "https://x.example.com"}], "paths": {}}`,
			"integrations", "import", "-")
		if r.code != 1 || !strings.Contains(r.stderr, "no operations") {
			t.Fatalf("empty document: %+v", r)
		}
	})
}
