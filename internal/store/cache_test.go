package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// memoizedWrite matches SQL that changes a table whose rows are memoized.
var memoizedWrite = regexp.MustCompile(`(?i)\b(INSERT INTO|UPDATE|DELETE FROM)\s+(orgs|users|api_keys|integrations|integration_versions|connections|teams|team_members|integration_teams|webhooks|webhook_triggers)\b`)

// TestEveryConfigWriteInvalidates reads the store's own source: every
// function whose SQL writes a memoized table must bump the generation (or
// touch its transaction), or a stale row would be served after the write.
func TestEveryConfigWriteInvalidates(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			writes, invalidates := false, false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BasicLit:
					if n.Kind == token.STRING && memoizedWrite.MatchString(n.Value) {
						writes = true
					}
				case *ast.SelectorExpr:
					if n.Sel.Name == "bump" || n.Sel.Name == "touch" {
						invalidates = true
					}
				}
				return true
			})
			if writes {
				checked++
				if !invalidates {
					t.Errorf("%s: %s writes a memoized table but neither bumps the generation nor touches its transaction", fset.Position(fn.Pos()), fn.Name.Name)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d writing functions found; the check is not reading the store's source", checked)
	}
}
