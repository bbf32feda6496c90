package openapi

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestImportExampleCollection imports every example document of the
// @readme/oas-examples package, which collects the odd corners of the
// specifications (callbacks, circular references, cookies, polymorphism,
// server variables…): each must import, or fail with a reason, and never
// produce a definition the connector refuses.
func TestImportExampleCollection(t *testing.T) {
	t.Parallel()
	publicDocument(t, petstore30) // skips or fails when not installed
	var files []string
	for _, version := range []string{"2.0", "3.0", "3.1"} {
		matches, err := filepath.Glob(filepath.Join("testdata", "node_modules", "@readme", "oas-examples", version, "json", "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matches...)
	}
	if len(files) < 40 {
		t.Fatalf("found %d example documents, want the whole collection", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(path)))+"/"+filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			doc, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Some examples have no server; the override stands in.
			def, report, err := Import(t.Context(), doc, Options{ServerURL: "https://api.example.com"})
			switch {
			case errors.Is(err, ErrNoActions):
				t.Logf("nothing to import: %+v", report)
				return
			case err != nil:
				t.Logf("refused: %v", err)
				return
			}
			checkRoundTrip(t, def)
			checkAccounted(t, report)
			if want := countOperations(t, doc); report.Operations != want {
				t.Errorf("report.Operations = %d, the document has %d", report.Operations, want)
			}
		})
	}
}
