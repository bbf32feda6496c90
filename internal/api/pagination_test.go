package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// pagedTotal is the length of every paged list: 23 items, so pages of 5
// end with a short one.
const pagedTotal = 23

// pagedAPI serves one list of pagedTotal items in each paging style, and
// a cursor that loops, counting the pages it serves.
type pagedAPI struct {
	*httptest.Server
	pages atomic.Int64
}

func newPagedAPI(t *testing.T) *pagedAPI {
	t.Helper()
	api := &pagedAPI{}
	slice := func(from, n int) []map[string]any {
		var out []map[string]any
		for i := from; i < min(from+n, pagedTotal); i++ {
			out = append(out, map[string]any{"id": i, "name": fmt.Sprintf("item %d", i)})
		}
		if out == nil {
			out = []map[string]any{}
		}
		return out
	}
	num := func(r *http.Request, name string, def int) int {
		if n, err := strconv.Atoi(r.URL.Query().Get(name)); err == nil {
			return n
		}
		return def
	}
	write := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cursor", func(w http.ResponseWriter, r *http.Request) {
		from := 0
		if c := r.URL.Query().Get("starting_after"); c != "" {
			from, _ = strconv.Atoi(strings.TrimPrefix(c, "c"))
		}
		var next any
		if from+5 < pagedTotal {
			next = fmt.Sprintf("c%d", from+5)
		}
		write(w, map[string]any{"data": slice(from, 5), "meta": map[string]any{"next": next}})
	})
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) {
		// After the second page the API hands out the same cursor again.
		next := "a"
		if r.URL.Query().Get("cursor") == "a" {
			next = "b"
		}
		write(w, map[string]any{"data": slice(0, 5), "next": next})
	})
	mux.HandleFunc("GET /link", func(w http.ResponseWriter, r *http.Request) {
		page := num(r, "p", 1)
		if page*5 < pagedTotal {
			next := fmt.Sprintf("%s/link?p=%d", api.URL, page+1)
			if page%2 == 0 {
				// Some APIs give the link relative to the page's URL.
				next = fmt.Sprintf("link?p=%d", page+1)
			}
			w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next", <%s/link?p=1>; rel="first"`, next, api.URL))
		}
		write(w, slice((page-1)*5, 5))
	})
	mux.HandleFunc("GET /offset", func(w http.ResponseWriter, r *http.Request) {
		write(w, map[string]any{"results": slice(num(r, "offset", 0), num(r, "limit", 10))})
	})
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		per := num(r, "per_page", 10)
		write(w, slice((num(r, "page", 1)-1)*per, per))
	})
	api.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.pages.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(api.Close)
	return api
}

// pagedDefinition declares an action per style on api.
func pagedDefinition(base string) string {
	return fmt.Sprintf(`{"name": "Paged", "baseUrl": %q, "actions": [
		{"key": "cursor", "name": "Cursor", "endpoint": "/cursor", "parameters": {"starting_after": {"type": "string", "in": "query"}},
		 "pagination": {"style": "cursor", "items": "data", "cursor": ".meta.next", "param": "starting_after"}},
		{"key": "loop", "name": "Loop", "endpoint": "/loop", "pagination": {"style": "cursor", "items": ".data", "cursor": ".next"}},
		{"key": "link", "name": "Link", "endpoint": "/link", "pagination": "link"},
		{"key": "offset", "name": "Offset", "endpoint": "/offset", "parameters": {"limit": {"type": "integer", "in": "query", "default": 5}},
		 "pagination": {"style": "offset", "items": "results"}},
		{"key": "page", "name": "Page", "endpoint": "/page", "parameters": {"per_page": {"type": "integer", "in": "query", "default": 5}},
		 "pagination": "page"}]}`, base)
}

func ids(t *testing.T, body json.RawMessage) []int {
	t.Helper()
	var items []struct{ ID int }
	if err := json.Unmarshal(body, &items); err != nil {
		t.Fatalf("body is not a list of items: %s", body)
	}
	out := make([]int, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func upTo(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// Every declared style gathers the whole list into one result, each page
// a call of its own; max_items cuts exactly and its cursor continues
// where the cut fell; max_pages stops with a cursor to go on.
func TestPaginationStylesOverREST(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	api := newPagedAPI(t)
	srv := servertest.Start(t, servertest.Options{})
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(pagedDefinition(api.URL)))
	if err != nil {
		t.Fatal(err)
	}
	for _, style := range []string{"cursor", "link", "offset", "page"} {
		t.Run(style, func(t *testing.T) {
			before := api.pages.Load()
			res, err := srv.Client.Run(ctx, in.ID, style, client.RunInput{MaxPages: 100})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, res.Body); fmt.Sprint(got) != fmt.Sprint(upTo(pagedTotal)) {
				t.Fatalf("gathered %v", got)
			}
			if p := res.Pagination; p == nil || p.Pages != 5 || p.Items != pagedTotal || p.NextCursor != "" {
				t.Errorf("pagination = %+v, want 5 pages, %d items, no cursor", p, pagedTotal)
			}
			if sent := api.pages.Load() - before; sent != 5 {
				t.Errorf("the API served %d pages, want 5", sent)
			}

			// max_items 7 cuts inside the second page; the cursor goes on
			// from the eighth item, whatever the style.
			var all []int
			cursor := ""
			for range 10 {
				res, err := srv.Client.Run(ctx, in.ID, style, client.RunInput{MaxItems: 7, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				got := ids(t, res.Body)
				if len(got) != 7 && res.Pagination.NextCursor != "" {
					t.Fatalf("max_items 7 gave %d items and a cursor", len(got))
				}
				all = append(all, got...)
				if cursor = res.Pagination.NextCursor; cursor == "" {
					break
				}
			}
			if fmt.Sprint(all) != fmt.Sprint(upTo(pagedTotal)) {
				t.Errorf("reading 7 at a time gave %v", all)
			}

			res, err = srv.Client.Run(ctx, in.ID, style, client.RunInput{MaxPages: 2})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, res.Body); len(got) != 10 || res.Pagination.NextCursor == "" {
				t.Errorf("max_pages 2: %d items, cursor %q", len(got), res.Pagination.NextCursor)
			}
		})
	}

	t.Run("one page of items without max_pages or max_items", func(t *testing.T) {
		res, err := srv.Client.Run(ctx, in.ID, "cursor", client.RunInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(t, res.Body); fmt.Sprint(got) != "[0 1 2 3 4]" || res.Pagination.Pages != 1 || res.Pagination.NextCursor == "" {
			t.Fatalf("body %s, pagination %+v", res.Body, res.Pagination)
		}
		// A selection applies to the list of items.
		res, err = srv.Client.Run(ctx, in.ID, "offset", client.RunInput{MaxItems: 8, Select: "[.[] | .name]"})
		if err != nil || string(res.Body) != `["item 0","item 1","item 2","item 3","item 4","item 5","item 6","item 7"]` {
			t.Fatalf("selected %s: %v", res.Body, err)
		}
	})

	t.Run("a next link outside the base URL is not followed", func(t *testing.T) {
		for _, link := range []string{"https://elsewhere.example/link?p=2", api.URL + "/../admin", "http://127.0.0.2:1/x"} {
			cursor := pagingCursor("link", link)
			before := api.pages.Load()
			_, err := srv.Client.Run(ctx, in.ID, "link", client.RunInput{Cursor: cursor})
			if err == nil || !strings.Contains(err.Error(), "not followed") || api.pages.Load() != before {
				t.Errorf("%s: err = %v", link, err)
			}
		}
	})

	t.Run("a cursor that loops stops with an error", func(t *testing.T) {
		before := api.pages.Load()
		_, err := srv.Client.Run(ctx, in.ID, "loop", client.RunInput{MaxPages: 50})
		if err == nil || !strings.Contains(err.Error(), "loop") || !strings.Contains(err.Error(), "502") {
			t.Fatalf("err = %v", err)
		}
		if sent := api.pages.Load() - before; sent != 3 {
			t.Errorf("the API served %d pages before the loop was seen, want 3", sent)
		}
	})

	t.Run("bad requests say what to fix", func(t *testing.T) {
		for _, tt := range []struct {
			action string
			in     client.RunInput
			want   string
		}{
			{"cursor", client.RunInput{Cursor: "not-ours"}, "cursor is not one this action returned"},
			{"link", client.RunInput{MaxItems: -1}, "max_items"},
		} {
			if _, err := srv.Client.Run(ctx, in.ID, tt.action, tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s %+v: err = %v, want %q", tt.action, tt.in, err, tt.want)
			}
		}
	})

	t.Run("each page is in the call log", func(t *testing.T) {
		deadline := time.Now().Add(5 * time.Second)
		for {
			logs, err := srv.Client.Logs(ctx, url.Values{"integration": {in.ID}, "action": {"offset"}, "limit": {"100"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(logs) >= 5+4+2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d call log entries of the offset action, want one per page (11)", len(logs))
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// pagingCursor makes the cursor a caller could forge for an action.
func pagingCursor(action string, value any) string {
	b, _ := json.Marshal(map[string]any{"a": action, "v": value})
	return base64.RawURLEncoding.EncodeToString(b)
}
