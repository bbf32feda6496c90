package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/fit"
	"github.com/plugboard/plugboard/internal/store"
)

// The arguments a tool of a paginated action takes besides the action's
// parameters, unless the API has parameters of those names.
const (
	ArgMaxPages   = "max_pages"
	ArgMaxItems   = "max_items"
	ArgNextCursor = "next_cursor"
)

// Budget is the most an agent receives inline from one call: its own
// setting, or fit.DefaultBudget.
func Budget(ag store.Agent) int {
	if ag.MaxResultBytes > 0 {
		return ag.MaxResultBytes
	}
	return fit.DefaultBudget
}

// pagingArgs are the paging arguments t shows: none for an action that
// does not page, and none that would hide a parameter of the API.
func (t *Tool) pagingArgs() []string {
	if t.Action.Pagination == nil {
		return nil
	}
	var out []string
	for _, name := range []string{ArgMaxPages, ArgMaxItems, ArgNextCursor} {
		if _, taken := t.Action.Param(name); !taken {
			out = append(out, name)
		}
	}
	return out
}

var pagingDescriptions = map[string]string{
	ArgMaxPages:   "Fetch up to this many pages of the list and return their items as one list (at most 100).",
	ArgMaxItems:   "Return exactly this many items of the list (fewer if the list ends), fetching as many pages as that takes.",
	ArgNextCursor: "Continue the list from an earlier result: pass its pagination.next_cursor.",
}

// addPaging adds the paging arguments to a tool's input schema.
func (t *Tool) addPaging(s *jsonschema.Schema) {
	for _, name := range t.pagingArgs() {
		ps := &jsonschema.Schema{Type: "integer", Minimum: ptr(1.0), Description: pagingDescriptions[name]}
		if name == ArgNextCursor {
			ps = &jsonschema.Schema{Type: "string", Description: pagingDescriptions[name]}
		}
		if s.Properties == nil {
			s.Properties = map[string]*jsonschema.Schema{}
		}
		s.Properties[name] = ps
		s.PropertyOrder = append(s.PropertyOrder, name)
	}
}

// Pages takes the paging arguments out of a call's arguments.
func (t *Tool) Pages(args map[string]any) (executor.Pages, map[string]any, error) {
	var p executor.Pages
	names := t.pagingArgs()
	if len(names) == 0 {
		return p, args, nil
	}
	rest := make(map[string]any, len(args))
	for k, v := range args {
		rest[k] = v
	}
	for _, name := range names {
		v, ok := rest[name]
		if !ok || v == nil {
			delete(rest, name)
			continue
		}
		delete(rest, name)
		if name == ArgNextCursor {
			s, ok := v.(string)
			if !ok {
				return p, nil, fmt.Errorf("%s must be a string: the pagination.next_cursor of an earlier result", name)
			}
			p.Cursor = s
			continue
		}
		n, err := wholeNumber(v)
		if err != nil || n < 1 {
			return p, nil, fmt.Errorf("%s must be a whole number of 1 or more", name)
		}
		if name == ArgMaxPages {
			p.MaxPages = n
		} else {
			p.MaxItems = n
		}
	}
	return p, rest, nil
}

func wholeNumber(v any) (int, error) {
	switch n := v.(type) {
	case json.Number:
		return strconv.Atoi(n.String())
	case float64:
		if n != float64(int(n)) {
			return 0, fmt.Errorf("not whole")
		}
		return int(n), nil
	case int:
		return n, nil
	}
	return 0, fmt.Errorf("not a number")
}

// Reader is the principal that reads the results an agent's calls
// stored: the agent itself, whoever its grants act for.
func (c *Catalog) Reader(ctx context.Context, ag store.Agent) (access.Principal, error) {
	org, err := c.store.GetOrg(ctx, ag.OrgID)
	if err != nil {
		return access.Principal{}, err
	}
	return access.ForAgent(ag, org, store.User{}), nil
}

// listSchema is the schema of the list at path in a page of schema page:
// a paginated action's body is the list of its items. A path the schema
// does not spell out gives a list of anything.
func listSchema(page *jsonschema.Schema, path string) *jsonschema.Schema {
	s := page
	if path = strings.TrimPrefix(connector.PathExpr(path), "."); path != "" {
		for _, name := range strings.Split(path, ".") {
			if s == nil {
				break
			}
			s = s.Properties[name]
		}
	}
	if s != nil && s.Type == "array" {
		return s
	}
	return &jsonschema.Schema{Type: "array"}
}

// OutputSchema is the schema of a tool's structured results, when its
// action declares the schema of its body: the result's envelope (status,
// body, and what Plugboard adds) with the body's schema in place. Body is
// not required, so a result whose body was cut to the budget, or does not
// match, is sent without it. A paginated action's body is the list of its
// items.
func (t *Tool) OutputSchema() *jsonschema.Schema {
	body := t.Action.OutputSchema()
	if body == nil {
		return nil
	}
	if pg := t.Action.Pagination; pg != nil {
		body = listSchema(body, pg.Items)
	}
	// Descriptions are left to the tool's: this schema is in every
	// listing. Each schema is its own value: a resolver refuses one shared.
	obj := func() *jsonschema.Schema { return &jsonschema.Schema{Type: "object"} }
	return &jsonschema.Schema{
		Type: "object",
		Properties: map[string]*jsonschema.Schema{
			"status": {Type: "integer"}, "body": body, "content_type": {Type: "string"}, "duration_ms": {Type: "number"},
			"log_id": {Type: "string"}, "pagination": obj(), "stored": obj(), "select_error": {Type: "string"},
		},
		PropertyOrder: []string{"status", "body", "content_type", "duration_ms", "log_id", "pagination", "stored", "select_error"},
		Required:      []string{"status"},
	}
}
