package connector

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/itchyny/gojq"
)

// Response shapes what callers receive from an action: a selection of
// the body (a jq expression), a byte budget for what is returned inline,
// and the JSON Schema of a successful body, which tools declare as their
// output.
type Response struct {
	// Select is a jq expression applied to a JSON body, like
	// "[.items[] | {id, name}]". Empty: the whole body.
	Select string `json:"select,omitempty"`
	// MaxBytes is the most a result returns inline; a larger one is
	// stored and read in parts. Zero: the caller's own budget.
	MaxBytes int `json:"maxBytes,omitempty"`
	// Schema is the JSON Schema of a successful (2xx) JSON body.
	Schema map[string]any `json:"schema,omitempty"`
}

// Pagination styles: how an API says where the next page is.
const (
	PageCursor = "cursor" // a cursor in the body, sent back in a parameter
	PageLink   = "link"   // a Link header with rel="next"
	PageOffset = "offset" // offset and limit parameters
	PagePage   = "page"   // page and per_page parameters
)

var pageStyles = []string{PageCursor, PageLink, PageOffset, PagePage}

// Pagination says how an action's API pages its lists.
type Pagination struct {
	Style string `json:"style"`
	// Items is a jq path to the list in a page, like ".data". Empty: the
	// body is the list.
	Items string `json:"items,omitempty"`
	// Cursor is a jq path to the next page's cursor in the body (cursor
	// style), like ".meta.next_cursor"; null, "" or absent ends the list.
	Cursor string `json:"cursor,omitempty"`
	// Param is the request parameter that carries the cursor, the offset
	// or the page number. Defaults to cursor, offset or page.
	Param string `json:"param,omitempty"`
	// LimitParam is the parameter that sets a page's size (offset and
	// page styles), read to tell a short, last page. Defaults to limit
	// (offset) or per_page (page).
	LimitParam string `json:"limitParam,omitempty"`
}

var (
	responseFields   = []field{newField("select", "jq", "selection"), newField("maxBytes", "budget"), newField("schema", "outputSchema")}
	paginationFields = []field{newField("style", "type"), newField("items", "itemsPath"), newField("cursor", "cursorPath", "nextCursor"),
		newField("param", "cursorParam", "pageParam", "offsetParam"), newField("limitParam", "perPageParam", "sizeParam")}
)

func (p *problems) response(raw json.RawMessage, path string) *Response {
	m := p.object(raw, path, responseFields)
	if m == nil {
		return nil
	}
	r := &Response{Select: p.str(m, "select", path), MaxBytes: p.integer(m, "maxBytes", path)}
	if raw, ok := m["schema"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &r.Schema); err != nil {
			p.add(join(path, "schema"), "must be a JSON Schema object, like {\"type\": \"object\"}")
		}
	}
	return r
}

func (p *problems) pagination(raw json.RawMessage, path string) *Pagination {
	// "pagination": "link" is the whole declaration of a Link header API.
	var style string
	if json.Unmarshal(raw, &style) == nil {
		return &Pagination{Style: style}
	}
	m := p.object(raw, path, paginationFields)
	if m == nil {
		return nil
	}
	return &Pagination{
		Style: p.str(m, "style", path), Items: p.str(m, "items", path), Cursor: p.str(m, "cursor", path),
		Param: p.str(m, "param", path), LimitParam: p.str(m, "limitParam", path),
	}
}

// applyDefaults names the parameters a style uses when the author did not.
func (pg *Pagination) applyDefaults() {
	pg.Style = strings.ToLower(strings.TrimSpace(pg.Style))
	if pg.Param == "" {
		switch pg.Style {
		case PageCursor, PageOffset, PagePage:
			pg.Param = pg.Style
		}
	}
	if pg.LimitParam == "" {
		switch pg.Style {
		case PageOffset:
			pg.LimitParam = "limit"
		case PagePage:
			pg.LimitParam = "per_page"
		}
	}
}

// MaxResponseBytes bounds an action's declared budget: the payload limit
// of a call.
const MaxResponseBytes = 10 << 20

func (p *problems) checkResponse(at string, r *Response) {
	if r == nil {
		return
	}
	if r.Select != "" {
		if _, err := Query(r.Select); err != nil {
			p.add(join(at, "select"), "is not a valid jq expression: %s; for example \"[.items[] | {id, name}]\"", err)
		}
	}
	if r.MaxBytes < 0 || r.MaxBytes > MaxResponseBytes {
		p.add(join(at, "maxBytes"), "must be between 1 and %d bytes (or left out for the caller's budget)", MaxResponseBytes)
	}
	if r.Schema != nil {
		if _, err := schemaOf(r.Schema); err != nil {
			p.add(join(at, "schema"), "is not a valid JSON Schema: %s", schemaMessage(err))
		}
	}
}

func (p *problems) checkPagination(at string, a *Action) {
	pg := a.Pagination
	if pg == nil {
		return
	}
	if !slices.Contains(pageStyles, pg.Style) {
		p.add(join(at, "style"), "is %q; use one of %s%s", pg.Style, strings.Join(pageStyles, ", "), didYouMean(pg.Style, pageStyles))
		return
	}
	for name, expr := range map[string]string{"items": pg.Items, "cursor": pg.Cursor} {
		if expr == "" {
			continue
		}
		if _, err := Query(PathExpr(expr)); err != nil {
			p.add(join(at, name), "is not a valid jq path: %s; for example \".data\"", err)
		}
	}
	if pg.Style == PageCursor && pg.Cursor == "" {
		p.add(join(at, "cursor"), `is required for the cursor style: the jq path to the next cursor in the body, like ".meta.next_cursor"`)
	}
	if pg.Style != PageLink {
		if prm, ok := a.Param(pg.Param); ok && (prm.In == InPath || prm.In == InHeader) {
			p.add(join(at, "param"), "names parameter %q, which is in %s; the page parameter must be in query or body", pg.Param, prm.In)
		}
	}
}

// barePath is a path written without jq's leading dot: "meta.next".
var barePath = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[-?\d+\])*$`)

// PathExpr turns a path as authors write it ("data.items") into a jq
// expression; anything else is taken as jq already (".data",
// "if .has_more then .data[-1].id else null end").
func PathExpr(path string) string {
	path = strings.TrimSpace(path)
	if barePath.MatchString(path) {
		return "." + path
	}
	return path
}

// queries caches compiled jq programs by their text: definitions are
// immutable, so the same few expressions run for every call. Callers may
// send selections of their own, so the cache stops growing at
// maxQueries; programs past it are compiled for each use.
var (
	queries    sync.Map // string → *gojq.Code
	queryCount atomic.Int64
	maxQueries = int64(4096)
)

// Query compiles a jq expression once and returns the program.
func Query(expr string) (*gojq.Code, error) {
	if c, ok := queries.Load(expr); ok {
		return c.(*gojq.Code), nil
	}
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, err
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	if queryCount.Add(1) <= maxQueries {
		queries.Store(expr, code)
	}
	return code, nil
}

// schemaOf reads a response schema into jsonschema-go's form and resolves
// it, refusing references as parameters do.
func schemaOf(m map[string]any) (*jsonschema.Resolved, error) {
	if key := referenceKeyword(m); key != "" {
		return nil, fmt.Errorf("%s is not supported; write the schema inline", key)
	}
	s, err := schemaFromMap(m)
	if err != nil {
		return nil, err
	}
	return s.Resolve(nil)
}

// OutputSchema is the JSON Schema of a successful body as the caller
// receives it: the declared schema, when the action declares one and no
// selection reshapes the body; nil otherwise. Its properties are written
// as objects, as in input schemas, so that every client accepts it.
func (a *Action) OutputSchema() *jsonschema.Schema {
	if a.Response == nil || a.Response.Schema == nil || a.Response.Select != "" || referenceKeyword(a.Response.Schema) != "" {
		return nil
	}
	s, err := schemaFromMap(a.Response.Schema)
	if err != nil {
		return nil
	}
	if _, err := s.Resolve(nil); err != nil {
		return nil
	}
	return objectProperties(s)
}
