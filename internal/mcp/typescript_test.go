package mcp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/store"
)

// tsResult is what testdata/check-client.mjs saw.
type tsResult struct {
	Server   struct{ Name, Version string }
	Protocol string
	Pages    int
	Tools    []struct {
		Name        string
		InputSchema json.RawMessage
		Annotations map[string]any
	}
	First, Repeat, Missing struct {
		IsError           bool
		Content           []struct{ Type, Text string }
		StructuredContent map[string]any
		Meta              map[string]any `json:"_meta"`
	}
}

// typescriptCheck runs testdata/check-client.mjs, the official TypeScript
// SDK's client, against the server as the agent with key: it lists every
// page of tools and calls tool with args twice under one idempotency key,
// then without arguments.
func typescriptCheck(t *testing.T, e *env, key, tool, args string) tsResult {
	t.Helper()
	nodePackage(t, filepath.Join("@modelcontextprotocol", "sdk", "package.json"))
	out := runNode(t, node22(t), []string{
		"PLUGBOARD_MCP_URL=" + e.srv.URL + "/mcp", "PLUGBOARD_AGENT_KEY=" + key, "PLUGBOARD_TOOL=" + tool,
		"PLUGBOARD_TOOL_ARGS=" + args, "PLUGBOARD_IDEMPOTENCY_KEY=ts-" + tool,
	}, "check-client.mjs")
	var seen tsResult
	if err := json.Unmarshal(out, &seen); err != nil {
		t.Fatalf("decode %.2000s: %v", out, err)
	}
	if seen.Server.Name != "plugboard" || seen.Protocol != legacy {
		t.Errorf("server %+v at %q; want plugboard at %s", seen.Server, seen.Protocol, legacy)
	}
	return seen
}

// TestTypeScriptClient checks the server with an MCP client written by
// others, the official TypeScript SDK, pinned in testdata/package.json. It
// refuses a whole tools/list page when one property of one tool is not an
// object schema; a parameter of no type is one.
func TestTypeScriptClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, store.SQLite)
	messages := e.deployMessages(t)
	a := e.agent(t, "typescript", client.AgentGrant{Integration: e.crm.Slug, Actions: []string{"create_contact", "get_contact"}},
		client.AgentGrant{Integration: messages.Slug})
	before := e.up.calls.Load()
	seen := typescriptCheck(t, e, a.Key, "test_crm__create_contact", `{"name": "Tess", "email": "tess@example.com", "tier": "pro"}`)

	names := map[string]int{}
	for i, tool := range seen.Tools {
		names[tool.Name] = i
	}
	create, ok := names["test_crm__create_contact"]
	if _, reader := names["read_result"]; len(seen.Tools) != 4 || !ok || !reader { // three actions and read_result
		t.Fatalf("tools = %+v", seen.Tools)
	}
	var schema struct{ Required []string }
	if json.Unmarshal(seen.Tools[create].InputSchema, &schema) != nil || strings.Join(schema.Required, ",") != "name,email" {
		t.Errorf("create_contact's schema = %s", seen.Tools[create].InputSchema)
	}
	if seen.Tools[names["test_crm__get_contact"]].Annotations["readOnlyHint"] != true {
		t.Errorf("get_contact's annotations = %v", seen.Tools[names["test_crm__get_contact"]].Annotations)
	}
	body, _ := seen.First.StructuredContent["body"].(map[string]any)
	if seen.First.IsError || seen.First.StructuredContent["status"] != float64(201) || body["tier"] != "pro" || len(seen.First.Content) == 0 {
		t.Errorf("first call = %+v", seen.First)
	}
	if seen.Repeat.Meta["idempotent_replay"] != true || e.up.calls.Load()-before != 1 {
		t.Errorf("repeat = %+v after %d API calls", seen.Repeat, e.up.calls.Load()-before)
	}
	if !seen.Missing.IsError || len(seen.Missing.Content) == 0 || !strings.Contains(seen.Missing.Content[0].Text, "email") {
		t.Errorf("call without arguments = %+v", seen.Missing)
	}
}

// githubREST is GitHub's REST description as @octokit/openapi publishes
// it, installed for the openapi package's tests.
const githubREST = "../openapi/testdata/node_modules/@octokit/openapi/generated/api.github.com.json"

// TestTypeScriptClientLargeAPI grants an agent all of GitHub's REST API,
// imported through the REST API from its OpenAPI description (about a
// thousand tools, more than one tools/list page), and has the TypeScript
// SDK list and call them. Every property of every tool is an object schema
// whose key model providers accept.
func TestTypeScriptClientLargeAPI(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(githubREST)
	if err != nil {
		t.Fatalf("GitHub's REST description is not installed (%v); run `npm ci --prefix internal/openapi/testdata` from the repository root (.ci/setup does)", err)
	}
	docs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(docs.Close)
	// A stand-in for api.github.com that knows one repository.
	github := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Authorization") != "Bearer gh-token":
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		case r.Method == http.MethodGet && r.URL.Path == "/repos/plugboard/plugboard":
			writeJSON(w, http.StatusOK, map[string]any{"full_name": "plugboard/plugboard", "private": true})
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		}
	}))
	t.Cleanup(github.Close)

	e := newEnv(t, store.SQLite)
	gh, err := e.srv.Client.Import(e.ctx, client.ImportInput{OpenAPIURL: docs.URL + "/api.github.com.json", Name: "GitHub",
		ServerURL: github.URL, Auth: json.RawMessage(`{"type": "bearer"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Client.AddConnection(e.ctx, gh.ID, client.ConnectionInput{Environment: "production", Credentials: map[string]string{"token": "gh-token"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Client.Deploy(e.ctx, gh.ID); err != nil {
		t.Fatal(err)
	}
	// Listing every tool of so large a grant is what the all mode is for.
	all := "all"
	a, err := e.srv.Client.CreateAgentWith(e.ctx, client.AgentInput{Name: ptr("octocat"), ToolMode: &all, Tools: &[]client.AgentGrant{{Integration: gh.Slug}}})
	if err != nil {
		t.Fatal(err)
	}
	tool := gh.Slug + "__repos_get"
	seen := typescriptCheck(t, e, a.Key, tool, `{"owner": "plugboard", "repo": "plugboard"}`)

	if len(seen.Tools) != len(gh.Actions)+1 || len(seen.Tools) < 1000 || seen.Pages < 2 { // and read_result
		t.Fatalf("listed %d tools in %d pages; the integration has %d actions", len(seen.Tools), seen.Pages, len(gh.Actions))
	}
	for _, tl := range seen.Tools {
		var schema any
		if err := json.Unmarshal(tl.InputSchema, &schema); err != nil {
			t.Fatal(err)
		}
		walkProperties(schema, tl.Name, func(where, key string, prop any) {
			if !providerKey.MatchString(key) {
				t.Errorf("%s: property key %q is refused by Anthropic and Bedrock", where, key)
			}
			if _, ok := prop.(map[string]any); !ok {
				t.Errorf("%s.%s is %v, not an object schema", where, key, prop)
			}
		})
	}
	body, _ := seen.First.StructuredContent["body"].(map[string]any)
	if seen.First.IsError || seen.First.StructuredContent["status"] != float64(200) || body["full_name"] != "plugboard/plugboard" {
		t.Errorf("%s = %+v", tool, seen.First)
	}
	if seen.Repeat.Meta["idempotent_replay"] != true {
		t.Errorf("repeat = %+v", seen.Repeat)
	}
	if !seen.Missing.IsError || len(seen.Missing.Content) == 0 || !strings.Contains(seen.Missing.Content[0].Text, "owner") {
		t.Errorf("call without arguments = %+v", seen.Missing)
	}
}

// walkProperties calls f for every property of schema, at any depth.
func walkProperties(schema any, where string, f func(where, key string, prop any)) {
	switch s := schema.(type) {
	case map[string]any:
		for k, v := range s {
			if k == "properties" {
				if props, ok := v.(map[string]any); ok {
					for key, prop := range props {
						f(where, key, prop)
						walkProperties(prop, where+"."+key, f)
					}
				}
				continue
			}
			walkProperties(v, where+"/"+k, f)
		}
	case []any:
		for _, v := range s {
			walkProperties(v, where, f)
		}
	}
}
