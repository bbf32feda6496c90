package mcp_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// searchNames calls search_tools and returns the names it found, best
// first.
func searchNames(t *testing.T, cs *sdk.ClientSession, query string) []string {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "search_tools", Arguments: map[string]any{"query": query}})
	if err != nil || res.IsError {
		t.Fatalf("search %q: %v %s", query, err, text(res))
	}
	var out struct {
		Tools []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"tools"`
	}
	if err := json.Unmarshal([]byte(jsonOf(t, res.StructuredContent)), &out); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(out.Tools))
	for _, tl := range out.Tools {
		names = append(names, tl.Name)
	}
	return names
}

func names(tools map[string]*sdk.Tool) []string {
	out := make([]string, 0, len(tools))
	for n := range tools {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func TestToolSearch(t *testing.T) {
	t.Parallel()
	storetest.Engines(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		three := 3
		search, all := "search", "all"
		searcher, err := e.srv.Client.CreateAgentWith(e.ctx, client.AgentInput{Name: ptr("searcher"), ToolSearchThreshold: &three,
			Tools: &[]client.AgentGrant{{Integration: e.crm.Slug}}})
		if err != nil {
			t.Fatal(err)
		}
		if searcher.ToolMode != "auto" || searcher.ToolSearchThreshold != 3 {
			t.Fatalf("agent = %+v", searcher)
		}

		for _, revision := range []string{"", "2025-11-25"} {
			cs := e.mustConnectAt(t, searcher.Key, revision, nil)
			label := revision
			if label == "" {
				label = "2026-07-28"
			}

			t.Run(label+" above the threshold the agent lists search, describe and call", func(t *testing.T) {
				if got := names(listTools(t, cs)); !slices.Equal(got, []string{"call_tool", "describe_tool", "search_tools"}) {
					t.Fatalf("tools = %v", got)
				}
			})

			t.Run(label+" search finds the tool a request needs first", func(t *testing.T) {
				for query, want := range map[string]string{
					"add a new contact to the CRM": "test_crm__create_contact",
					"tag a contact":                "test_crm__tag_contact",
					"remove a contact":             "test_crm__delete_contact",
				} {
					if got := searchNames(t, cs, query); len(got) == 0 || got[0] != want {
						t.Errorf("search %q = %v, want %s first", query, got, want)
					}
				}
			})

			t.Run(label+" describe gives the tool's input schema", func(t *testing.T) {
				res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "describe_tool", Arguments: map[string]any{"name": "test_crm__create_contact"}})
				if err != nil || res.IsError {
					t.Fatalf("describe: %v %s", err, text(res))
				}
				var tool sdk.Tool
				if err := json.Unmarshal([]byte(text(res)), &tool); err != nil {
					t.Fatal(err)
				}
				schema := jsonOf(t, tool.InputSchema)
				if tool.Name != "test_crm__create_contact" || !strings.Contains(schema, `"required":["name","email"]`) {
					t.Fatalf("described %s: %s", tool.Name, schema)
				}
			})

			t.Run(label+" call runs the tool as a direct call would, and so does a direct call", func(t *testing.T) {
				before := e.up.calls.Load()
				res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "call_tool", Arguments: map[string]any{
					"name": "test_crm__create_contact", "arguments": map[string]any{"name": "Ada", "email": "ada@example.com"}}})
				if err != nil || res.IsError || !strings.Contains(text(res), `"status":201`) || e.up.calls.Load() != before+1 {
					t.Fatalf("call_tool: %v %s", err, text(res))
				}
				res, err = cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "call_tool", Arguments: map[string]any{
					"name": "test_crm__create_contact", "arguments": map[string]any{"name": "Ada"}}})
				if err != nil || !res.IsError || !strings.Contains(text(res), "email") || e.up.calls.Load() != before+1 {
					t.Fatalf("call_tool without a required argument: %v %s", err, text(res))
				}
				res, err = cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "call_tool", Arguments: map[string]any{
					"name": "test_crm__get_contact", "arguments": `{"id": "c1"}`}})
				if err != nil || res.IsError || !strings.Contains(text(res), `"status":200`) || !strings.Contains(text(res), "ada@example.com") {
					t.Fatalf("call_tool with the arguments as a string of JSON: %v %s", err, text(res))
				}
				res, err = cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__list_contacts", Arguments: map[string]any{"limit": 5}})
				if err != nil || res.IsError || !strings.Contains(text(res), `"limit":"5"`) {
					t.Fatalf("direct call: %v %s", err, text(res))
				}
			})

			t.Run(label+" an idempotency key given to call is honoured", func(t *testing.T) {
				before := e.up.calls.Load()
				params := &sdk.CallToolParams{Name: "call_tool", Meta: sdk.Meta{"idempotency_key": "search-" + revision + engine},
					Arguments: map[string]any{"name": "test_crm__create_contact", "arguments": map[string]any{"name": "Bob", "email": "bob@example.com"}}}
				first, err := cs.CallTool(e.ctx, params)
				if err != nil || first.IsError {
					t.Fatalf("first: %v %s", err, text(first))
				}
				again, err := cs.CallTool(e.ctx, params)
				if err != nil || again.Meta["idempotent_replay"] != true || e.up.calls.Load() != before+1 {
					t.Fatalf("repeat: %v meta %v, upstream calls %d", err, again.Meta, e.up.calls.Load()-before)
				}
			})
		}

		t.Run("search, describe and call know only the agent's tools", func(t *testing.T) {
			reader, err := e.srv.Client.CreateAgentWith(e.ctx, client.AgentInput{Name: ptr("reader"), ToolMode: &search,
				Tools: &[]client.AgentGrant{{Integration: e.crm.Slug, Actions: []string{"get_contact", "list_contacts"}}}})
			if err != nil {
				t.Fatal(err)
			}
			cs := e.mustConnect(t, reader.Key, nil)
			if got := searchNames(t, cs, "delete create replace tag contact"); !slices.Equal(got, []string{"test_crm__get_contact", "test_crm__list_contacts"}) &&
				!slices.Equal(got, []string{"test_crm__list_contacts", "test_crm__get_contact"}) {
				t.Fatalf("search found %v", got)
			}
			before := e.up.calls.Load()
			for _, call := range []*sdk.CallToolParams{
				{Name: "describe_tool", Arguments: map[string]any{"name": "test_crm__delete_contact"}},
				{Name: "call_tool", Arguments: map[string]any{"name": "test_crm__delete_contact", "arguments": map[string]any{"id": "c1"}}},
			} {
				res, err := cs.CallTool(e.ctx, call)
				if err != nil || !res.IsError || !strings.Contains(text(res), `Unknown tool "test_crm__delete_contact"`) {
					t.Fatalf("%s: %v %s", call.Name, err, text(res))
				}
			}
			if _, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "test_crm__delete_contact", Arguments: map[string]any{"id": "c1"}}); err == nil ||
				!strings.Contains(err.Error(), "Unknown tool") {
				t.Fatalf("direct call outside the grant: %v", err)
			}
			if e.up.calls.Load() != before {
				t.Fatal("a refused call reached the API")
			}

			t.Run("an index entry of a tool the agent lost is never found", func(t *testing.T) {
				// As if the grant had changed while nothing re-synced the
				// index: search brings it up to date first.
				ghost := store.ToolIndexEntry{Name: "test_crm__delete_contact", Revision: "stale", Heading: "test crm delete contact purge", Description: "Purge a contact.", Params: "id"}
				if err := e.srv.Server.Store.UpdateToolIndex(e.ctx, reader.ID, []store.ToolIndexEntry{ghost}, nil); err != nil {
					t.Fatal(err)
				}
				if got := searchNames(t, cs, "purge delete contact"); slices.Contains(got, "test_crm__delete_contact") {
					t.Fatalf("search found a tool outside the grant: %v", got)
				}
				revs, err := e.srv.Server.Store.ToolIndexRevisions(e.ctx, reader.ID)
				if err != nil || len(revs) != 2 || revs["test_crm__delete_contact"] != "" {
					t.Fatalf("index after the search = %v, %v", revs, err)
				}
			})

			t.Run("a changed grant changes what search finds", func(t *testing.T) {
				if _, err := e.srv.Client.UpdateAgent(e.ctx, reader.ID, client.AgentInput{Tools: &[]client.AgentGrant{{Integration: e.crm.Slug, Actions: []string{"delete_contact"}}}}); err != nil {
					t.Fatal(err)
				}
				if got := searchNames(t, cs, "get list delete contact"); !slices.Equal(got, []string{"test_crm__delete_contact"}) {
					t.Fatalf("after the grant changed, search found %v", got)
				}
			})
		})

		t.Run("at or below the threshold, or in the all mode, every tool is listed", func(t *testing.T) {
			few := e.agent(t, "few", client.AgentGrant{Integration: e.crm.Slug})
			if got := listTools(t, e.mustConnect(t, few.Key, nil)); len(got) != 6 {
				t.Fatalf("below the default threshold: %v", names(got))
			}
			everything, err := e.srv.Client.CreateAgentWith(e.ctx, client.AgentInput{Name: ptr("everything"), ToolMode: &all, ToolSearchThreshold: &three,
				Tools: &[]client.AgentGrant{{Integration: e.crm.Slug}}})
			if err != nil {
				t.Fatal(err)
			}
			if got := listTools(t, e.mustConnect(t, everything.Key, nil)); len(got) != 6 {
				t.Fatalf("all mode: %v", names(got))
			}
		})

		t.Run("switching the mode of a connected agent changes its list", func(t *testing.T) {
			switcher := e.agent(t, "switcher", client.AgentGrant{Integration: e.crm.Slug})
			cs := e.mustConnectAt(t, switcher.Key, "2025-11-25", nil)
			if got := listTools(t, cs); len(got) != 6 {
				t.Fatalf("before: %v", names(got))
			}
			if _, err := e.srv.Client.UpdateAgent(e.ctx, switcher.ID, client.AgentInput{ToolMode: &search}); err != nil {
				t.Fatal(err)
			}
			if got := names(listTools(t, cs)); !slices.Equal(got, []string{"call_tool", "describe_tool", "search_tools"}) {
				t.Fatalf("after: %v", got)
			}
		})

		t.Run("a bad mode is a problem that says what to give", func(t *testing.T) {
			bad, neg := "some", -1
			_, err := e.srv.Client.CreateAgentWith(e.ctx, client.AgentInput{Name: ptr("bad"), ToolMode: &bad, ToolSearchThreshold: &neg})
			var pe *client.Error
			if !errors.As(err, &pe) || pe.Status != 400 || len(pe.Errors) != 2 || pe.Errors[0].Field != "tool_mode" || !strings.Contains(pe.Errors[0].Message, `"all"`) ||
				pe.Errors[1].Field != "tool_search_threshold" {
				t.Fatalf("err = %v (%+v)", err, pe)
			}
		})
	})
}

func ptr[T any](v T) *T { return &v }

// TestTypeScriptClientSearchMode has the official TypeScript SDK list an
// agent's search tools (it refuses a page with a schema it cannot read)
// and call a tool through call_tool, idempotently.
func TestTypeScriptClientSearchMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	search := "search"
	a, err := e.srv.Client.CreateAgentWith(e.ctx, client.AgentInput{Name: ptr("typescript search"), ToolMode: &search,
		Tools: &[]client.AgentGrant{{Integration: e.crm.Slug}}})
	if err != nil {
		t.Fatal(err)
	}
	before := e.up.calls.Load()
	seen := typescriptCheck(t, e, a.Key, "call_tool", `{"name": "test_crm__create_contact", "arguments": {"name": "Tess", "email": "tess@example.com"}}`)
	var listed []string
	for _, tl := range seen.Tools {
		listed = append(listed, tl.Name)
	}
	slices.Sort(listed)
	if !slices.Equal(listed, []string{"call_tool", "describe_tool", "read_result", "search_tools"}) { // and read_result, for results over the budget
		t.Fatalf("tools = %v", listed)
	}
	if seen.First.IsError || seen.First.StructuredContent["status"] != float64(201) {
		t.Errorf("first call = %+v", seen.First)
	}
	if seen.Repeat.Meta["idempotent_replay"] != true || e.up.calls.Load()-before != 1 {
		t.Errorf("repeat = %+v after %d API calls", seen.Repeat, e.up.calls.Load()-before)
	}
	if !seen.Missing.IsError || len(seen.Missing.Content) == 0 || !strings.Contains(seen.Missing.Content[0].Text, `"name"`) {
		t.Errorf("call_tool without arguments = %+v", seen.Missing)
	}
}
