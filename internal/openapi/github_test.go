package openapi

import (
	"context"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/connector"
)

// TestImportGitHub imports GitHub's whole REST description, the largest
// public one we know of: about 1,200 operations sharing deep schemas.
func TestImportGitHub(t *testing.T) {
	t.Parallel()
	doc := publicDocument(t, githubREST)

	start := time.Now()
	def, report, err := Import(t.Context(), doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("imported %d of %d operations in %v (%d skip entries)",
		report.Imported, report.Operations, time.Since(start).Round(time.Millisecond), len(report.Skipped))
	start = time.Now()
	checkRoundTrip(t, def)
	checkAccounted(t, report)
	t.Logf("connector.Parse of the imported definition took %v", time.Since(start).Round(time.Millisecond))

	if want := countOperations(t, doc); report.Operations != want {
		t.Errorf("report.Operations = %d, the document has %d", report.Operations, want)
	}
	if report.Imported < 1000 {
		t.Errorf("imported %d actions, want more than 1000", report.Imported)
	}
	assertEqual(t, "base URL", def.BaseURL, "https://api.github.com")
	// The description declares no security scheme: a token is added by
	// hand as bearer auth.
	assertEqual(t, "auth", def.Auth, connector.Auth{Type: "none"})

	get := action(t, def, "repos_get")
	assertEqual(t, "repos/get", []string{get.Method, get.Endpoint}, []string{"GET", "/repos/{owner}/{repo}"})
	assertEqual(t, "owner", param(t, get, "owner"), connector.Param{
		Name: "owner", In: "path", Required: true,
		Description: "The account owner of the repository. The name is not case sensitive.",
		Schema:      map[string]any{"type": "string"},
	})

	create := action(t, def, "issues_create")
	title := param(t, create, "title")
	if title.In != "body" || !title.Required {
		t.Errorf("issues/create title = %+v, want a required body parameter", title)
	}
	assertEqual(t, "issues/create labels type", param(t, create, "labels").Schema["type"], "array")

	if !hasSkip(report, "DELETE /repos/{owner}/{repo}/contents/{path}", "requires a request body") {
		t.Errorf("no skip for the DELETE that requires a body")
	}
	if !hasSkip(report, "POST /repos/{owner}/{repo}/rulesets", "MaxSchemaDepth") {
		t.Errorf("no skip for the ruleset schema cut at the depth limit")
	}
}

func TestImportGitHubByTag(t *testing.T) {
	t.Parallel()
	def, report := mustImport(t, publicDocument(t, githubREST), Options{Tags: []string{"issues"}, PathPrefixes: []string{"/repos/"}})
	if len(def.Actions) < 20 || len(def.Actions) > 100 {
		t.Errorf("imported %d issue actions, want a few dozen", len(def.Actions))
	}
	for _, a := range def.Actions {
		if a.Key[:7] != "issues_" {
			t.Errorf("action %s is not an issues operation", a.Key)
		}
	}
	t.Logf("%d of %d operations carry the issues tag under /repos/", report.Imported, report.Operations)
}

func BenchmarkImportGitHub(b *testing.B) {
	doc := publicDocument(b, githubREST)
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, _, err := Import(context.Background(), doc, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
