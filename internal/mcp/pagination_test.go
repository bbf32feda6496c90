package mcp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/client"
)

// A tool of a paginated action takes max_pages, max_items and
// next_cursor, in every declared style: max_items cuts exactly,
// next_cursor goes on from there, and a cursor that loops ends the call
// with a tool error.
func TestPaginatedToolsOverMCP(t *testing.T) {
	t.Parallel()
	const total = 12
	var base string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		num := func(name string, def int) int {
			if n, err := strconv.Atoi(q.Get(name)); err == nil {
				return n
			}
			return def
		}
		from := 0
		switch r.URL.Path {
		case "/cursor", "/loop":
			from = num("after", 0)
		case "/link":
			from = num("from", 0)
		case "/offset":
			from = num("offset", 0)
		case "/page":
			from = (num("page", 1) - 1) * 4
		}
		items := []map[string]int{}
		for i := from; i < min(from+4, total); i++ {
			items = append(items, map[string]int{"id": i})
		}
		next := any(nil)
		switch {
		case r.URL.Path == "/loop":
			next = "1"
		case from+4 < total:
			next = strconv.Itoa(from + 4)
			if r.URL.Path == "/link" {
				w.Header().Set("Link", fmt.Sprintf(`<%s/link?from=%d>; rel="next"`, base, from+4))
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": next})
	}))
	t.Cleanup(up.Close)
	base = up.URL
	e := newEnv(t, "")
	in, err := e.srv.Client.CreateIntegration(e.ctx, json.RawMessage(fmt.Sprintf(`{"name": "Feed", "baseUrl": %q, "actions": [
		{"key": "cursor", "name": "Cursor", "endpoint": "/cursor", "pagination": {"style": "cursor", "items": "items", "cursor": "next", "param": "after"}},
		{"key": "link", "name": "Link", "endpoint": "/link", "pagination": {"style": "link", "items": "items"}},
		{"key": "offset", "name": "Offset", "endpoint": "/offset", "parameters": {"limit": {"type": "integer", "in": "query", "default": 4}}, "pagination": {"style": "offset", "items": "items"}},
		{"key": "page", "name": "Page", "endpoint": "/page", "parameters": {"per_page": {"type": "integer", "in": "query", "default": 4}}, "pagination": {"style": "page", "items": "items"}},
		{"key": "loop", "name": "Loop", "endpoint": "/loop", "pagination": {"style": "cursor", "items": "items", "cursor": "next", "param": "after"}}]}`, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Client.Deploy(e.ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	cs := e.mustConnect(t, e.agent(t, "reader", client.AgentGrant{Integration: in.Slug}).Key, nil)
	schema := jsonOf(t, listTools(t, cs)["feed__cursor"].InputSchema)
	for _, arg := range []string{"max_pages", "max_items", "next_cursor"} {
		if !strings.Contains(schema, `"`+arg+`"`) {
			t.Errorf("the input schema has no %s: %s", arg, schema)
		}
	}

	for _, style := range []string{"cursor", "link", "offset", "page"} {
		t.Run(style, func(t *testing.T) {
			var got []int
			args := map[string]any{"max_items": 5}
			for calls := 0; ; calls++ {
				if calls > 5 {
					t.Fatal("the list never ended")
				}
				res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "feed__" + style, Arguments: args})
				if err != nil || res.IsError {
					t.Fatalf("call: %v %s", err, text(res))
				}
				var out struct {
					Body       []struct{ ID int }
					Pagination struct {
						NextCursor string `json:"next_cursor"`
					}
				}
				if err := json.Unmarshal([]byte(jsonOf(t, res.StructuredContent)), &out); err != nil {
					t.Fatal(err)
				}
				if out.Pagination.NextCursor != "" && len(out.Body) != 5 {
					t.Fatalf("max_items 5 returned %d items", len(out.Body))
				}
				for _, it := range out.Body {
					got = append(got, it.ID)
				}
				if out.Pagination.NextCursor == "" {
					break
				}
				if !strings.Contains(text(res), "next_cursor") {
					t.Errorf("the result does not say how to go on: %s", text(res))
				}
				args = map[string]any{"max_items": 5, "next_cursor": out.Pagination.NextCursor}
			}
			if fmt.Sprint(got) != "[0 1 2 3 4 5 6 7 8 9 10 11]" {
				t.Errorf("read %v", got)
			}
		})
	}

	res, err := cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "feed__loop", Arguments: map[string]any{"max_pages": 10}})
	if err != nil || !res.IsError || !strings.Contains(text(res), "loop") {
		t.Fatalf("a looping cursor: %v %s", err, text(res))
	}
	res, err = cs.CallTool(e.ctx, &sdk.CallToolParams{Name: "feed__cursor", Arguments: map[string]any{"max_items": "five"}})
	if err != nil || !res.IsError || !strings.Contains(text(res), "max_items") {
		t.Fatalf("max_items of the wrong type: %v %s", err, text(res))
	}
}
