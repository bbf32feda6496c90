package openapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connector"
)

// pagingDocument has one list operation of each common paging pattern.
func pagingDocument() []byte {
	q := func(names ...string) string {
		var out []string
		for _, n := range names {
			out = append(out, fmt.Sprintf(`{"name": %q, "in": "query", "schema": {"type": "string"}}`, n))
		}
		return "[" + strings.Join(out, ",") + "]"
	}
	ok := func(schema string, headers string) string {
		return fmt.Sprintf(`{"200": {"description": "ok", %s "content": {"application/json": {"schema": %s}}}}`, headers, schema)
	}
	item := `{"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string", "readOnly": true}}, "additionalProperties": false}`
	var bigProps []string
	for i := range 60 {
		bigProps = append(bigProps, fmt.Sprintf(`"field_%d": {"type": "string", "description": "%s"}`, i, strings.Repeat("x", 80)))
	}
	big := `{"type": "object", "properties": {` + strings.Join(bigProps, ",") + `}}`
	return []byte(fmt.Sprintf(`{"openapi": "3.0.3", "info": {"title": "Paging", "version": "1"}, "servers": [{"url": "https://api.example.com"}], "paths": {
		"/conversations": {"get": {"operationId": "conversations", "parameters": %s, "responses": %s}},
		"/customers": {"get": {"operationId": "customers", "parameters": %s, "responses": %s}},
		"/repos": {"get": {"operationId": "repos", "parameters": %s, "responses": %s}},
		"/search": {"get": {"operationId": "search", "parameters": %s, "responses": %s}},
		"/issues": {"get": {"operationId": "issues", "parameters": %s, "responses": %s}},
		"/huge": {"get": {"operationId": "huge", "responses": %s}},
		"/plain": {"get": {"operationId": "plain", "parameters": %s, "responses": %s}}}}`,
		q("cursor", "limit"), ok(`{"type": "object", "properties": {"channels": {"type": "array", "items": `+item+`}, "response_metadata": {"type": "object", "properties": {"next_cursor": {"type": "string"}}}}}`, ""),
		q("starting_after", "limit"), ok(`{"type": "object", "properties": {"data": {"type": "array", "items": `+item+`}, "has_more": {"type": "boolean"}}}`, ""),
		q("per_page", "page"), ok(`{"type": "array", "items": `+item+`}`, `"headers": {"Link": {"schema": {"type": "string"}}},`),
		q("startAt", "offset", "limit"), ok(`{"type": "object", "properties": {"values": {"type": "array", "items": `+item+`}}}`, ""),
		q("page", "per_page"), ok(`{"type": "object", "properties": {"items": {"type": "array", "items": `+item+`}}}`, ""),
		ok(big, ""),
		q("q"), ok(item, "")))
}

func TestImportRecognisesPaginationAndResponses(t *testing.T) {
	t.Parallel()
	def, _ := mustImport(t, pagingDocument(), Options{})
	want := map[string]*connector.Pagination{
		"conversations": {Style: "cursor", Items: ".channels", Cursor: ".response_metadata.next_cursor", Param: "cursor"},
		"customers":     {Style: "cursor", Items: ".data", Cursor: "if .has_more then .data[-1].id else null end", Param: "starting_after"},
		"repos":         {Style: "link"},
		"search":        {Style: "offset", Items: ".values", Param: "offset", LimitParam: "limit"},
		"issues":        {Style: "page", Items: ".items", Param: "page", LimitParam: "per_page"},
		"plain":         nil,
	}
	for key, w := range want {
		got := action(t, def, key).Pagination
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s: pagination = %+v, want %+v", key, got, w)
		}
	}
	plain := action(t, def, "plain")
	if plain.Response == nil || plain.Response.Schema["additionalProperties"] != nil || plain.OutputSchema() == nil {
		t.Errorf("plain: response = %+v; want its schema, without additionalProperties false (answers carry read-only fields)", plain.Response)
	}
	props, _ := plain.Response.Schema["properties"].(map[string]any)
	if _, ok := props["id"]; !ok {
		t.Errorf("plain: schema %v", plain.Response.Schema)
	}
	if r := action(t, def, "huge").Response; r != nil {
		b, _ := json.Marshal(r.Schema)
		t.Errorf("a %d-byte response schema was kept", len(b))
	}
}
