package openapi

import (
	"maps"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxPropertyDescription bounds descriptions inside a parameter's schema;
// the parameter's own description gets the longer maxDescription.
const maxPropertyDescription = 300

// recursiveNote is the description of a schema cut where it refers back to
// one of its enclosing schemas.
const recursiveNote = "Recursive: same shape as an enclosing object; not expanded."

// converted is a schema rendered as plain JSON Schema, with what was cut on
// the way so that the caller can report it.
type converted struct {
	schema    map[string]any
	truncated bool // nested deeper than the depth limit
	recursive bool // refers back to an enclosing schema
}

func (c *converted) absorb(child converted) {
	c.truncated = c.truncated || child.truncated
	c.recursive = c.recursive || child.recursive
}

type memoKey struct {
	schema *openapi3.Schema
	level  int
}

// schemaConverter renders kin-openapi schemas as map[string]any JSON Schema.
// Large documents share a few schemas across hundreds of operations, so
// each (schema, nesting level) is rendered once and the resulting maps are
// shared: they must be treated as read-only.
type schemaConverter struct {
	maxDepth int
	memo     map[memoKey]converted
	onPath   map[*openapi3.Schema]bool
}

func newSchemaConverter(maxDepth int) *schemaConverter {
	return &schemaConverter{
		maxDepth: maxDepth,
		memo:     map[memoKey]converted{},
		onPath:   map[*openapi3.Schema]bool{},
	}
}

// convert renders ref at the given nesting level (0 for a parameter).
func (c *schemaConverter) convert(ref *openapi3.SchemaRef, level int) converted {
	if ref == nil || ref.Value == nil {
		return converted{schema: map[string]any{}}
	}
	s := ref.Value
	if c.onPath[s] {
		return converted{schema: map[string]any{"type": "object", "description": recursiveNote}, recursive: true}
	}
	key := memoKey{s, level}
	if out, ok := c.memo[key]; ok {
		return out
	}
	c.onPath[s] = true
	out := c.build(s, level)
	delete(c.onPath, s)
	c.memo[key] = out
	return out
}

func (c *schemaConverter) build(s *openapi3.Schema, level int) converted {
	out := converted{schema: scalarKeywords(s)}
	m := out.schema
	if level >= c.maxDepth && hasNested(s) {
		out.truncated = true
		if _, ok := m["type"]; !ok {
			m["type"] = "object"
		}
		return out
	}
	if s.Items != nil {
		items := c.convert(s.Items, level+1)
		out.absorb(items)
		m["items"] = items.schema
	}
	if len(s.Properties) > 0 {
		props := make(map[string]any, len(s.Properties))
		// Sorted so that which schema gets cut in a cycle never varies.
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			p := s.Properties[name]
			if p != nil && p.Value != nil && p.Value.ReadOnly {
				continue // set by the server, never sent
			}
			child := c.convert(p, level+1)
			out.absorb(child)
			props[name] = child.schema
		}
		m["properties"] = props
		if req := presentRequired(s.Required, props); len(req) > 0 {
			m["required"] = req
		}
	}
	if ap := s.AdditionalProperties; ap.Has != nil && !*ap.Has {
		m["additionalProperties"] = false
	} else if ap.Schema != nil {
		child := c.convert(ap.Schema, level+1)
		out.absorb(child)
		m["additionalProperties"] = child.schema
	}
	c.alternatives(&out, "oneOf", s.OneOf, level)
	c.alternatives(&out, "anyOf", s.AnyOf, level)
	if len(s.AllOf) > 0 {
		out.schema = c.mergeAllOf(&out, m, s.AllOf, level)
	}
	return out
}

// alternatives keeps oneOf and anyOf as they are: unlike allOf they cannot
// be flattened without changing what they accept.
func (c *schemaConverter) alternatives(out *converted, keyword string, refs openapi3.SchemaRefs, level int) {
	if len(refs) == 0 {
		return
	}
	list := make([]any, 0, len(refs))
	for _, r := range refs {
		child := c.convert(r, level+1)
		out.absorb(child)
		list = append(list, child.schema)
	}
	out.schema[keyword] = list
}

// mergeAllOf folds allOf members into one schema, since the tools that read
// parameter schemas (agents' function calling) handle flat objects best.
// The schema's own keywords win over its members', and earlier members
// over later ones; properties and required are united.
func (c *schemaConverter) mergeAllOf(out *converted, own map[string]any, members openapi3.SchemaRefs, level int) map[string]any {
	merged := own
	for _, r := range members {
		child := c.convert(r, level)
		out.absorb(child)
		for k, v := range child.schema {
			switch k {
			case "properties":
				props, _ := merged["properties"].(map[string]any)
				props = maps.Clone(props)
				if props == nil {
					props = map[string]any{}
				}
				for name, p := range v.(map[string]any) {
					if _, ok := props[name]; !ok {
						props[name] = p
					}
				}
				merged["properties"] = props
			case "required":
				have, _ := merged["required"].([]any)
				merged["required"] = unionRequired(have, v.([]any))
			default:
				if _, ok := merged[k]; !ok {
					merged[k] = v
				}
			}
		}
	}
	if _, ok := merged["properties"]; ok {
		if _, typed := merged["type"]; !typed {
			merged["type"] = "object"
		}
	}
	return merged
}

func hasNested(s *openapi3.Schema) bool {
	return s.Items != nil || len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil ||
		len(s.OneOf) > 0 || len(s.AnyOf) > 0 || len(s.AllOf) > 0
}

func presentRequired(required []string, props map[string]any) []any {
	var out []any
	for _, name := range required {
		if _, ok := props[name]; ok {
			out = append(out, name)
		}
	}
	return out
}

func unionRequired(a, b []any) []any {
	out := slices.Clone(a)
	for _, v := range b {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
