package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/plugboard/plugboard/internal/connector"
)

// Public API descriptions are not copied into the repository: npm installs
// them from the versions pinned in testdata/package.json.
const (
	petstore20   = "@readme/oas-examples/2.0/json/petstore.json"
	petstore30   = "@readme/oas-examples/3.0/json/petstore.json"
	petstore31   = "@readme/oas-examples/3.1/json/petstore.json"
	petstoreYAML = "@readme/oas-examples/3.0/yaml/petstore.yaml"
	githubREST   = "@octokit/openapi/generated/api.github.com.json"
)

// publicDocument reads a document installed under testdata/node_modules.
// Without it the test is skipped on a developer's machine, but fails in CI,
// where the documents must be installed.
func publicDocument(tb testing.TB, rel string) []byte {
	tb.Helper()
	path := filepath.Join("testdata", "node_modules", filepath.FromSlash(rel))
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		msg := path + " is not installed; run `npm ci --prefix internal/openapi/testdata` from the repository root"
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

// countOperations counts a document's operations from its raw paths map,
// independently of kin-openapi and of the importer.
func countOperations(tb testing.TB, doc []byte) int {
	tb.Helper()
	var raw struct {
		Paths map[string]map[string]any `json:"paths" yaml:"paths"`
	}
	var err error
	if strings.HasPrefix(strings.TrimSpace(string(doc[:min(len(doc), 64)])), "{") {
		err = json.Unmarshal(doc, &raw)
	} else {
		err = yaml.Unmarshal(doc, &raw)
	}
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, item := range raw.Paths {
		if ref, ok := item["$ref"].(string); ok {
			// A path item may live elsewhere in the document.
			item = lookupPointer(tb, doc, ref)
		}
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				n++
			}
		}
	}
	return n
}

// lookupPointer follows a local JSON pointer such as
// "#/components/pathItems/x" in a JSON document.
func lookupPointer(tb testing.TB, doc []byte, ref string) map[string]any {
	tb.Helper()
	var node any
	if err := json.Unmarshal(doc, &node); err != nil {
		tb.Fatalf("follow %s: %v", ref, err)
	}
	for _, token := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		token = strings.NewReplacer("~1", "/", "~0", "~").Replace(token)
		m, _ := node.(map[string]any)
		node = m[token]
	}
	m, _ := node.(map[string]any)
	return m
}

// mustImport imports a document and checks what every import must hold:
// the definition survives a JSON round trip through connector.Parse, and
// the report accounts for every operation.
func mustImport(tb testing.TB, doc []byte, opts Options) (*connector.Definition, *Report) {
	tb.Helper()
	def, report, err := Import(context.Background(), doc, opts)
	if err != nil {
		tb.Fatalf("Import: %v", err)
	}
	checkRoundTrip(tb, def)
	checkAccounted(tb, report)
	return def, report
}

// checkRoundTrip marshals the definition and parses it back, as the API
// does when the imported definition is stored and read again.
func checkRoundTrip(tb testing.TB, def *connector.Definition) {
	tb.Helper()
	raw, err := json.Marshal(def)
	if err != nil {
		tb.Fatalf("marshal definition: %v", err)
	}
	back, err := connector.Parse(raw)
	if err != nil {
		tb.Fatalf("connector.Parse of the imported definition: %v", err)
	}
	if len(back.Actions) != len(def.Actions) {
		tb.Fatalf("round trip kept %d of %d actions", len(back.Actions), len(def.Actions))
	}
	for i := range def.Actions {
		if got, want := back.Actions[i].Key, def.Actions[i].Key; got != want {
			tb.Errorf("actions[%d] key %q came back as %q", i, want, got)
		}
		if got, want := len(back.Actions[i].Parameters), len(def.Actions[i].Parameters); got != want {
			tb.Errorf("action %s: %d parameters came back as %d", def.Actions[i].Key, want, got)
		}
	}
}

// checkAccounted requires every operation not imported to have a Skip.
func checkAccounted(tb testing.TB, report *Report) {
	tb.Helper()
	whole := 0
	for _, s := range report.Skipped {
		if !s.Partial && !strings.HasPrefix(s.Operation, "security scheme ") {
			whole++
		}
	}
	if report.Imported+whole != report.Operations {
		tb.Errorf("report: %d imported + %d skipped whole != %d operations", report.Imported, whole, report.Operations)
	}
}

// action finds an action by key or fails the test.
func action(tb testing.TB, def *connector.Definition, key string) *connector.Action {
	tb.Helper()
	for i := range def.Actions {
		if def.Actions[i].Key == key {
			return &def.Actions[i]
		}
	}
	tb.Fatalf("no action %q", key)
	return nil
}

// param finds a parameter by name or fails the test.
func param(tb testing.TB, a *connector.Action, name string) connector.Param {
	tb.Helper()
	for _, p := range a.Parameters {
		if p.Name == name {
			return p
		}
	}
	tb.Fatalf("action %s has no parameter %q", a.Key, name)
	return connector.Param{}
}

func assertEqual(tb testing.TB, what string, got, want any) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		tb.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

// hasSkip reports whether the report has a Skip for what whose reason
// contains the given words.
func hasSkip(report *Report, what, words string) bool {
	for _, s := range report.Skipped {
		if s.Operation == what && strings.Contains(s.Reason, words) {
			return true
		}
	}
	return false
}
