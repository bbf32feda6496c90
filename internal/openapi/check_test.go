package openapi

import (
	"strings"
	"testing"
)

func TestImportLeavesOutWhatTheConnectorRefuses(t *testing.T) {
	t.Parallel()
	doc := []byte(`openapi: 3.0.3
info: {title: Sloppy, version: "1"}
servers: [{url: "https://api.example.com/v1"}]
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        authorizationCode: {authorizationUrl: /oauth/authorize, tokenUrl: /oauth/token, scopes: {}}
paths:
  /good:
    get: {operationId: good, responses: {"200": {description: ok}}}
  /bad:
    get:
      operationId: bad
      parameters:
        - {name: sort, in: query, schema: {type: string, enum: [asc, desc], default: up}}
      responses: {"200": {description: ok}}
  /odd:
    get:
      operationId: odd
      parameters:
        - {name: upload, in: query, schema: {type: file}}
      responses: {"200": {description: ok}}
`)
	def, report := mustImport(t, doc, Options{})
	if len(def.Actions) != 2 || def.Actions[0].Key != "bad" || def.Actions[1].Key != "good" {
		t.Fatalf("actions = %+v, want bad and good", def.Actions)
	}
	// A default is never sent, so one outside the enum costs nothing: it
	// is told in the description.
	if sort := param(t, &def.Actions[0], "sort"); sort.Default != nil || sort.Description != `Default (when left out): "up".` {
		t.Errorf("sort = %+v, want no default and the default told in the description", sort)
	}
	for _, want := range []struct{ op, words string }{
		{"GET /odd", `not imported: the action it makes is not valid: parameters.upload.type: unknown type "file"`},
	} {
		if !hasSkip(report, want.op, want.words) {
			t.Errorf("no skip %q for %s in:\n%s", want.words, want.op, skipReasons(report))
		}
	}
	// Relative OAuth URLs are resolved against the server URL.
	if def.Auth.AuthorizeURL != "https://api.example.com/oauth/authorize" || def.Auth.TokenURL != "https://api.example.com/oauth/token" {
		t.Errorf("auth = %+v, want absolute URLs", def.Auth)
	}
	if strings.Contains(skipReasons(report), "auth") {
		t.Errorf("unexpected auth skip:\n%s", skipReasons(report))
	}
}
