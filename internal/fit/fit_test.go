package fit

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSelect(t *testing.T) {
	t.Parallel()
	body := json.RawMessage(`{"items":[{"id":9007199254740993,"name":"a","x":1},{"id":2,"name":"b","x":2}],"next":"c2"}`)
	tests := []struct{ expr, want string }{
		{"[.items[] | {id, name}]", `[{"id":9007199254740993,"name":"a"},{"id":2,"name":"b"}]`},
		{".items[].name", `["a","b"]`},
		{".next", `"c2"`},
		{".missing", `null`},
		{"empty", `null`},
	}
	for _, tt := range tests {
		got, err := Select(t.Context(), body, tt.expr)
		if err != nil || string(got) != tt.want {
			t.Errorf("Select(%q) = %s, %v; want %s", tt.expr, got, err, tt.want)
		}
	}
	if _, err := Select(t.Context(), body, ".items | keys | .[0] | ascii_downcase"); err == nil || !strings.Contains(err.Error(), "failed on this body") {
		t.Errorf("a selection that fails on the body: err = %v", err)
	}
}

func TestCutKeepsWholeItemsWithinTheBudget(t *testing.T) {
	t.Parallel()
	var items []string
	for i := range 100 {
		items = append(items, fmt.Sprintf(`{"n":%d}`, i))
	}
	body := json.RawMessage("[" + strings.Join(items, ", ") + "]")
	part, shown, total := Cut(body, 100)
	if len(part) > 100 || total != 100 || shown == 0 || !json.Valid(part) {
		t.Fatalf("Cut = %s (%d bytes), shown %d of %d", part, len(part), shown, total)
	}
	var back []map[string]int
	_ = json.Unmarshal(part, &back)
	if len(back) != shown || back[shown-1]["n"] != shown-1 {
		t.Errorf("kept %v, shown %d", back, shown)
	}
	part, shown, total = Cut(json.RawMessage(`{"text":"héllo wörld"}`), 12)
	var s string
	if err := json.Unmarshal(part, &s); err != nil || total != -1 || len(s) > 12 || !strings.HasPrefix(`{"text":"héllo wörld"}`, s) || shown != len(s) {
		t.Errorf("Cut of an object = %s, %d, %d", part, shown, total)
	}
}

func TestReadPartsJoinIntoTheResult(t *testing.T) {
	t.Parallel()
	body := []byte(`["ünïcödé", "ascii", "€€€€"]`)
	var joined strings.Builder
	for off := 0; off >= 0; {
		p, err := ReadBytes(body, off, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Bytes) > 5 {
			t.Fatalf("part of %d bytes over the length 5", len(p.Bytes))
		}
		joined.WriteString(p.Bytes)
		off = p.Next
	}
	if joined.String() != string(body) {
		t.Errorf("joined = %q", joined.String())
	}
	var items []string
	for start := 0; start >= 0; {
		p, err := ReadItems(body, start, 2, 14)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		_ = json.Unmarshal(p.Items, &got)
		items = append(items, got...)
		start = p.Next
	}
	if strings.Join(items, "|") != "ünïcödé|ascii|€€€€" {
		t.Errorf("items = %q", items)
	}
	if _, err := ReadItems([]byte(`{"a":1}`), 0, 1, 100); err == nil || !strings.Contains(err.Error(), "not a list") {
		t.Errorf("items of an object: %v", err)
	}
	if _, err := ReadBytes(body, len(body)+1, 1); err == nil {
		t.Error("an offset past the end was accepted")
	}
}

// Text shown as a JSON string stays within the budget with its escapes.
func TestCutCountsEscapes(t *testing.T) {
	t.Parallel()
	body := json.RawMessage(`{"html":"` + strings.Repeat(`<a href=\"x\">&</a>`, 200) + `"}`)
	part, _, _ := Cut(body, 500)
	if len(part) > 500 || len(part) < 400 {
		t.Errorf("a cut of %d bytes for a budget of 500", len(part))
	}
}

// A selection that would run without end is stopped.
func TestSelectStopsRunawayExpressions(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"def f: f; f", "last(range(1e12))"} {
		start := time.Now()
		_, err := Select(t.Context(), json.RawMessage(`{}`), expr)
		if err == nil || !strings.Contains(err.Error(), "was stopped") || time.Since(start) > 5*SelectTimeout {
			t.Errorf("%s: %v after %v", expr, err, time.Since(start))
		}
	}
}
