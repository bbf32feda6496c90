package openapi

import (
	"github.com/getkin/kin-openapi/openapi3"
)

// scalarKeywords copies the keywords that hold values rather than nested
// schemas. Values use the types encoding/json decodes into (float64, []any),
// so that an imported definition equals the same definition parsed back
// from JSON.
//
// Keywords an agent cannot use to build a request (examples, xml,
// discriminator, the 3.1 conditionals) are left out to keep schemas small.
func scalarKeywords(s *openapi3.Schema) map[string]any {
	m := make(map[string]any, 4)
	if t := schemaType(s.Type); t != nil {
		m["type"] = t
	}
	if s.Format != "" {
		m["format"] = s.Format
	}
	if s.Description != "" {
		m["description"] = describeText(s.Description, maxPropertyDescription)
	}
	if len(s.Enum) > 0 {
		m["enum"] = s.Enum
	}
	if s.Default != nil {
		m["default"] = s.Default
	}
	if s.Const != nil {
		m["const"] = s.Const
	}
	numberKeywords(s, m)
	if s.MinLength > 0 {
		m["minLength"] = float64(s.MinLength)
	}
	if s.MaxLength != nil {
		m["maxLength"] = float64(*s.MaxLength)
	}
	if s.Pattern != "" {
		m["pattern"] = s.Pattern
	}
	if s.MinItems > 0 {
		m["minItems"] = float64(s.MinItems)
	}
	if s.MaxItems != nil {
		m["maxItems"] = float64(*s.MaxItems)
	}
	if s.UniqueItems {
		m["uniqueItems"] = true
	}
	return m
}

// numberKeywords writes the bounds in JSON Schema 2020-12 form whatever the
// document's version: OpenAPI 3.0's boolean exclusiveMinimum becomes the
// numeric exclusive bound.
func numberKeywords(s *openapi3.Schema, m map[string]any) {
	if s.Min != nil {
		m["minimum"] = *s.Min
	}
	if s.Max != nil {
		m["maximum"] = *s.Max
	}
	switch {
	case s.ExclusiveMin.Value != nil:
		m["exclusiveMinimum"] = *s.ExclusiveMin.Value
	case s.ExclusiveMin.IsTrue() && s.Min != nil:
		m["exclusiveMinimum"] = *s.Min
		delete(m, "minimum")
	}
	switch {
	case s.ExclusiveMax.Value != nil:
		m["exclusiveMaximum"] = *s.ExclusiveMax.Value
	case s.ExclusiveMax.IsTrue() && s.Max != nil:
		m["exclusiveMaximum"] = *s.Max
		delete(m, "maximum")
	}
	if s.MultipleOf != nil {
		m["multipleOf"] = *s.MultipleOf
	}
}

// schemaType returns a single type as a string. "null" is dropped, since a
// parameter that may be null may as well be left out; several other types
// stay a list.
func schemaType(t *openapi3.Types) any {
	if t == nil {
		return nil
	}
	var kept []any
	for _, name := range *t {
		if name != openapi3.TypeNull {
			kept = append(kept, name)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	default:
		return kept
	}
}
