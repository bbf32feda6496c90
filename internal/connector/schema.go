package connector

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// InputSchema describes the action's parameters as one JSON Schema object,
// the shape agents see as a tool's input: a property per parameter in the
// author's order with its type, description, default and other keywords,
// the required ones listed, and no other properties allowed. Every
// property, at any depth, is an object schema (see objectProperties). Where each
// parameter goes in the request is not part of it.
func (a *Action) InputSchema() *jsonschema.Schema {
	s := &jsonschema.Schema{
		Type:       "object",
		Properties: make(map[string]*jsonschema.Schema, len(a.Parameters)),
		// {"not": {}} is how jsonschema-go spells the false schema.
		AdditionalProperties: &jsonschema.Schema{Not: &jsonschema.Schema{}},
	}
	for i := range a.Parameters {
		p := &a.Parameters[i]
		ps, err := p.jsonSchema(true)
		if err != nil {
			// Validate rejects such parameters; a schema that still
			// names and describes them is the most useful fallback.
			ps = &jsonschema.Schema{Description: p.Description}
		}
		if a.EffectiveBodyType() == BodyMultipart && a.location(p) == InBody && p.IsFile() {
			fileEncoding(ps)
		}
		s.Properties[p.Name] = objectProperties(ps)
		s.PropertyOrder = append(s.PropertyOrder, p.Name)
		if a.required(p) {
			s.Required = append(s.Required, p.Name)
		}
	}
	return s
}

// fileEncoding tells agents that a file is given base64-encoded, for the
// file itself or an array's items.
func fileEncoding(s *jsonschema.Schema) {
	if s.Type == "array" && s.Items != nil {
		s = s.Items
	}
	if s.ContentEncoding == "" {
		s.ContentEncoding = "base64"
	}
	if !strings.Contains(s.Description, "base64") {
		s.Description = strings.TrimSpace(s.Description + " A file's content, base64-encoded.")
	}
}

// anyValueDescription describes a property whose schema says nothing.
const anyValueDescription = "Any JSON value."

// objectProperties returns s with every property schema in it, at any
// depth, written as an object. A schema that allows anything is encoded as
// the boolean schema true, which JSON Schema allows but clients do not all
// accept in a property's place: the TypeScript SDK refuses a whole
// tools/list page over one. Such a property gets a description instead,
// which still allows any value.
func objectProperties(s *jsonschema.Schema) *jsonschema.Schema {
	if s == nil {
		return nil
	}
	if isTrueSchema(s) {
		return &jsonschema.Schema{Description: anyValueDescription}
	}
	for k, ps := range s.Properties {
		s.Properties[k] = objectProperties(ps)
	}
	// Properties nest under items, combinators and the other keywords
	// that hold schemas; a true schema in their own place is left as is.
	var children []*jsonschema.Schema
	children = append(children, s.Items, s.AdditionalProperties, s.Not, s.If, s.Then, s.Else, s.Contains, s.UnevaluatedProperties)
	children = slices.Concat(children, s.PrefixItems, s.ItemsArray, s.AllOf, s.AnyOf, s.OneOf)
	for _, m := range []map[string]*jsonschema.Schema{s.PatternProperties, s.DependentSchemas} {
		children = slices.AppendSeq(children, maps.Values(m))
	}
	for _, child := range children {
		if child != nil && !isTrueSchema(child) {
			objectProperties(child)
		}
	}
	return s
}

// isTrueSchema reports whether s is encoded as the boolean schema true.
func isTrueSchema(s *jsonschema.Schema) bool {
	b, err := json.Marshal(s)
	return err == nil && string(b) == "true"
}

// InputSchemaJSON is [Action.InputSchema] encoded as JSON. It is computed
// on each call rather than cached on the Action: it takes microseconds,
// and a cache would go stale whenever an Action value is edited.
func (a *Action) InputSchemaJSON() json.RawMessage {
	b, err := json.Marshal(a.InputSchema())
	if err != nil {
		return json.RawMessage(`{"type":"object"}`)
	}
	return b
}

// required reports whether a value must be given: declared so, or filling
// a path placeholder, without which no URL can be built.
func (a *Action) required(p *Param) bool {
	return p.Required || a.location(p) == InPath
}

// jsonSchema converts the parameter's keywords into a jsonschema-go
// schema, through JSON so every keyword lands where the library wants it.
func (p *Param) jsonSchema(withDefault bool) (*jsonschema.Schema, error) {
	if key := referenceKeyword(p.Schema); key != "" {
		return nil, fmt.Errorf("%s is not supported; write the schema inline", key)
	}
	m := maps.Clone(p.Schema)
	if m == nil {
		m = map[string]any{}
	}
	if p.Description != "" {
		m["description"] = p.Description
	}
	if withDefault && p.Default != nil {
		m["default"] = p.Default
	}
	return schemaFromMap(m)
}

// schemaFromMap reads schema keywords into jsonschema-go's type, through
// JSON so every keyword lands where the library wants it.
func schemaFromMap(m map[string]any) (*jsonschema.Schema, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// referenceKeyword finds a $ref (or another $-keyword that names or
// points at schemas) anywhere in a schema. References are refused: a
// parameter has nothing to refer to, and a schema that refers to itself
// without consuming the value would recurse without end when validating.
func referenceKeyword(v any) string {
	schema, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	for k, child := range schema {
		if strings.HasPrefix(k, "$") && k != "$comment" {
			return k
		}
		var key string
		switch k {
		case "properties", "patternProperties", "dependentSchemas":
			// Keyed by property names, which may look like keywords
			// ("$ref", "$schema"): only the values are schemas.
			if named, ok := child.(map[string]any); ok {
				for _, sub := range named {
					if key = referenceKeyword(sub); key != "" {
						break
					}
				}
			}
		case "items", "additionalProperties", "not", "if", "then", "else", "contains",
			"propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems":
			key = referenceKeyword(child)
			if list, ok := child.([]any); ok {
				key = referenceKeywordIn(list)
			}
		case "allOf", "anyOf", "oneOf", "prefixItems":
			list, _ := child.([]any)
			key = referenceKeywordIn(list)
		}
		// Other keywords hold data (enum, const, default, examples), not
		// schemas.
		if key != "" {
			return key
		}
	}
	return ""
}

func referenceKeywordIn(list []any) string {
	for _, child := range list {
		if key := referenceKeyword(child); key != "" {
			return key
		}
	}
	return ""
}

// resolve prepares the parameter's schema for validating values.
func (p *Param) resolve(withDefault bool) (*jsonschema.Resolved, error) {
	s, err := p.jsonSchema(withDefault)
	if err != nil {
		return nil, err
	}
	return s.Resolve(nil)
}

// schemaMessage trims jsonschema-go's nesting ("validating root:
// validating /properties/zip: type: …") down to what a person needs: where
// inside the value the problem is, and what it is, in our wording for the
// common cases.
func schemaMessage(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"jsonschema: ", "jsonschema.Schema: ", "<anonymous schema>: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	where := ""
	for strings.HasPrefix(msg, "validating ") {
		i := strings.Index(msg, ": ")
		if i < 0 {
			break
		}
		if ptr := msg[len("validating "):i]; ptr != "root" {
			where = pointerPath(ptr)
		}
		msg = msg[i+2:]
	}
	if m := typeMismatch.FindStringSubmatch(msg); m != nil {
		got := m[1]
		if got == "integer" {
			got = "number"
		}
		msg = fmt.Sprintf("must be %s, got %s", withArticles([]string{m[2]}), got)
	} else if m := missingProperties.FindStringSubmatch(msg); m != nil {
		msg = "missing required properties: " + m[1]
	}
	if where != "" {
		return where + " " + msg
	}
	return msg
}

var (
	typeMismatch      = regexp.MustCompile(`^type: .* has type "(\w+)", want "(\w+)"$`)
	missingProperties = regexp.MustCompile(`^required: missing properties: \[(.*)\]$`)
)

// pointerPath turns a schema pointer like /properties/address/properties/zip
// into the value path a person knows, address.zip; array items read "items".
func pointerPath(ptr string) string {
	segs := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	var out []string
	for i := 0; i < len(segs); i++ {
		switch segs[i] {
		case "properties":
			if i+1 < len(segs) {
				out = append(out, segs[i+1])
				i++
			}
		case "items":
			out = append(out, "items")
		}
	}
	return strings.Join(out, ".")
}
