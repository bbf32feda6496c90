package openapi

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/plugboard/plugboard/internal/connector"
)

// maxResponseSchemaBytes bounds a response schema kept as an action's
// output schema: every tools/list carries it, so a large one (GitHub's
// full repository object) costs an agent more than it tells it.
const maxResponseSchemaBytes = 2 << 10

// response is the schema of an operation's successful JSON answer, when
// the document gives a small one.
func (imp *importer) response(o operation) *connector.Response {
	schema := imp.successSchema(o)
	if schema == nil {
		return nil
	}
	c := imp.conv.convert(schema, 0)
	if c.recursive || c.truncated || len(c.schema) == 0 {
		return nil
	}
	out, _ := lenient(c.schema).(map[string]any)
	if b, err := json.Marshal(out); err != nil || len(b) > maxResponseSchemaBytes {
		return nil
	}
	return &connector.Response{Schema: out}
}

// successSchema is the JSON schema of the first 2xx answer (200 first).
func (imp *importer) successSchema(o operation) *openapi3.SchemaRef {
	if o.op.Responses == nil {
		return nil
	}
	codes := slices.Sorted(maps.Keys(o.op.Responses.Map()))
	for _, code := range codes {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		r := o.op.Responses.Value(code)
		if r == nil || r.Value == nil {
			continue
		}
		if ref := pickContentSchema(r.Value.Content); ref != nil && ref.Value != nil {
			return ref
		}
	}
	return nil
}

// successHeaders are the headers the first 2xx answer documents.
func successHeaders(o operation) []string {
	if o.op.Responses == nil {
		return nil
	}
	var out []string
	for code, r := range o.op.Responses.Map() {
		if strings.HasPrefix(code, "2") && r != nil && r.Value != nil {
			out = slices.AppendSeq(out, maps.Keys(r.Value.Headers))
		}
	}
	return out
}

// lenient copies a converted schema (shared, read-only) without
// "additionalProperties": false: the converter leaves read-only properties
// out, which an answer carries.
func lenient(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, child := range t {
			if k == "additionalProperties" && child == false {
				continue
			}
			out[k] = lenient(child)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, child := range t {
			out[i] = lenient(child)
		}
		return out
	}
	return v
}

// Parameter names that carry each paging style's position.
var (
	cursorParams = []string{"cursor", "after", "starting_after", "page_token", "pageToken", "next_token", "nextToken", "continuation_token", "next_page_token"}
	offsetParams = []string{"offset", "skip", "start"}
	pageParams   = []string{"page", "page_number", "pageNumber"}
	sizeParams   = []string{"per_page", "perPage", "page_size", "pageSize", "limit", "size", "count"}
	// Where bodies keep the next cursor, tried in order at the top level
	// and under these containers.
	cursorFields     = []string{"next_cursor", "nextCursor", "next_page_token", "nextPageToken", "next_token", "nextToken", "cursor", "next"}
	cursorContainers = []string{"", "meta", "pagination", "paging", "response_metadata", "links"}
	itemFields       = []string{"data", "items", "results", "values", "entries", "records", "elements"}
)

// pagination recognises how a GET operation pages from its parameters,
// its answer's schema and its documented headers: a cursor parameter and
// where the answer carries the next one (or Stripe's starting_after with
// has_more), a Link header, offset and limit, or page and a page size.
func (imp *importer) pagination(o operation, params connector.Params) *connector.Pagination {
	if o.method != "GET" {
		return nil
	}
	has := func(names []string) string {
		for _, n := range names {
			for _, p := range params {
				if p.Name == n && p.In == openapi3.ParameterInQuery {
					return n
				}
			}
		}
		return ""
	}
	var body map[string]any
	if ref := imp.successSchema(o); ref != nil {
		body = imp.conv.convert(ref, 0).schema
	}
	items := itemsPath(body)
	if items == "-" {
		return nil
	}
	cursor, offset, page, size := has(cursorParams), has(offsetParams), has(pageParams), has(sizeParams)
	if cursor != "" {
		if path := cursorPath(body); path != "" {
			return &connector.Pagination{Style: connector.PageCursor, Items: items, Cursor: path, Param: cursor}
		}
		if cursor == "starting_after" && property(body, "has_more") != nil && items != "" {
			return &connector.Pagination{Style: connector.PageCursor, Items: items, Param: cursor,
				Cursor: "if .has_more then " + items + "[-1].id else null end"}
		}
	}
	switch {
	case slices.ContainsFunc(successHeaders(o), func(h string) bool { return strings.EqualFold(h, "Link") }):
		return &connector.Pagination{Style: connector.PageLink, Items: items}
	case offset != "" && size != "":
		return &connector.Pagination{Style: connector.PageOffset, Items: items, Param: offset, LimitParam: size}
	case page != "" && size != "":
		return &connector.Pagination{Style: connector.PagePage, Items: items, Param: page, LimitParam: size}
	}
	return nil
}

// itemsPath is where an answer keeps its list: "" when the answer is the
// list, a jq path to one of the usual fields, or "-" for none.
func itemsPath(body map[string]any) string {
	if body == nil || schemaTypeName(body) == "array" {
		return ""
	}
	for _, f := range itemFields {
		if p := property(body, f); p != nil && schemaTypeName(p) == "array" {
			return "." + f
		}
	}
	// Else the one list the answer has ("channels", "members").
	props, _ := body["properties"].(map[string]any)
	found := "-"
	for _, name := range slices.Sorted(maps.Keys(props)) {
		if p, _ := props[name].(map[string]any); schemaTypeName(p) == "array" {
			if found != "-" {
				return "-"
			}
			found = "." + name
		}
	}
	return found
}

// cursorPath is a jq path to the next cursor in an answer, or "".
func cursorPath(body map[string]any) string {
	for _, container := range cursorContainers {
		scope := body
		if container != "" {
			scope = property(body, container)
		}
		for _, f := range cursorFields {
			if p := property(scope, f); p != nil && (schemaTypeName(p) == "string" || schemaTypeName(p) == "") {
				if container == "" {
					return "." + f
				}
				return "." + container + "." + f
			}
		}
	}
	return ""
}

func property(schema map[string]any, name string) map[string]any {
	props, _ := schema["properties"].(map[string]any)
	p, _ := props[name].(map[string]any)
	return p
}
