package executor

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestFittingCutsAtItemsAndBytes(t *testing.T) {
	t.Parallel()
	page := []json.RawMessage{json.RawMessage(`"aaaa"`), json.RawMessage(`"bbbb"`), json.RawMessage(`"cccc"`)} // 7 bytes each with a comma
	tests := []struct {
		name                           string
		have, size, maxItems, maxBytes int
		wantTake, wantSize             int
	}{
		{"everything fits", 0, 0, 0, 100, 3, 21},
		{"max_items cuts", 2, 14, 3, 100, 1, 21},
		{"max_items already met", 3, 21, 3, 100, 0, 21},
		{"bytes cut", 0, 0, 0, 15, 2, 14},
		{"a first item always joins", 0, 0, 0, 1, 1, 7},
		{"nothing more once full", 5, 100, 0, 100, 0, 100},
	}
	for _, tt := range tests {
		take, size := fitting(page, tt.have, tt.size, tt.maxItems, tt.maxBytes)
		if take != tt.wantTake || size != tt.wantSize {
			t.Errorf("%s: fitting = %d, %d; want %d, %d", tt.name, take, size, tt.wantTake, tt.wantSize)
		}
	}
}

func TestNextLinkReadsRelNext(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Add("Link", `<https://api.example.com/items?page=1>; rel="first", <https://api.example.com/items?page=3>; rel="next last"`)
	if got := nextLink(h, "https://api.example.com/items?page=2"); got != "https://api.example.com/items?page=3" {
		t.Errorf("next = %q", got)
	}
	h = http.Header{"Link": {`</items?cursor=abc>; rel=next`}}
	if got := nextLink(h, "https://api.example.com/v1/items"); got != "https://api.example.com/items?cursor=abc" {
		t.Errorf("relative next = %q", got)
	}
	if got := nextLink(http.Header{"Link": {`<https://x/prev>; rel="prev"`}}, "https://x/"); got != "" {
		t.Errorf("no next = %q", got)
	}
}
