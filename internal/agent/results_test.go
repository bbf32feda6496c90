package agent_test

import (
	"encoding/json"
	"testing"

	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/connector"
)

// A paginated action's tool declares its body as the list of items the
// page schema gives at the items path; the paging arguments join its
// input schema and are taken out of a call's arguments.
func TestPaginatedToolSchemas(t *testing.T) {
	t.Parallel()
	def, err := connector.Parse([]byte(`{"name": "Feed", "baseUrl": "https://api.example.com", "actions": [
		{"key": "entries", "name": "Entries", "endpoint": "/entries", "parameters": {"after": {"type": "string", "in": "query"}},
		 "pagination": {"style": "cursor", "items": "data.rows", "cursor": "next", "param": "after"},
		 "response": {"schema": {"type": "object", "properties": {"next": {"type": "string"},
		   "data": {"type": "object", "properties": {"rows": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}}}}}}}}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tool := &agent.Tool{Name: "feed__entries", Definition: def, Action: &def.Actions[0]}
	out, _ := json.Marshal(tool.OutputSchema().Properties["body"])
	if string(out) != `{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"}}}}` {
		t.Errorf("body schema = %s", out)
	}
	resolved, err := tool.OutputSchema().Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := resolved.Validate(map[string]any{"status": 200.0, "body": []any{map[string]any{"id": 1.0}}}); err != nil {
		t.Errorf("a list of items does not validate: %v", err)
	}
	pages, rest, err := tool.Pages(map[string]any{"max_items": json.Number("7"), "next_cursor": "abc", "after": "x"})
	if err != nil || pages.MaxItems != 7 || pages.Cursor != "abc" || len(rest) != 1 || rest["after"] != "x" {
		t.Errorf("Pages = %+v, %v, %v", pages, rest, err)
	}
	if _, _, err := tool.Pages(map[string]any{"max_pages": 1.5}); err == nil {
		t.Error("max_pages 1.5 was accepted")
	}
}
