package connector

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"
)

// schemaKeywords are the JSON Schema (and common OpenAPI) keywords a full
// form parameter may carry; they are kept in Param.Schema as written.
var schemaKeywords = []string{
	"type", "enum", "const", "format", "pattern", "minLength", "maxLength",
	"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
	"items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains",
	"minContains", "maxContains", "properties", "additionalProperties",
	"patternProperties", "propertyNames", "minProperties", "maxProperties",
	"dependentRequired", "dependentSchemas", "unevaluatedProperties",
	"unevaluatedItems", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
	"title", "examples", "example", "deprecated", "readOnly", "writeOnly",
	"nullable", "contentEncoding", "contentMediaType", "$comment",
}

// paramKeys are the keys of a full form parameter that are Plugboard's,
// not JSON Schema's.
var paramKeys = []string{"in", "location", "required", "description", "default", "style", "explode", "x-required"}

// typeAliases lets the short form say "int" or "bool" as people do.
var typeAliases = map[string]string{
	"str": "string", "text": "string", "int": "integer", "float": "number",
	"double": "number", "bool": "boolean", "map": "object", "list": "array",
}

// Type returns the parameter's JSON Schema type, the first one other than
// "null" when several are allowed, or "" when any type is accepted.
func (p Param) Type() string {
	switch t := p.Schema["type"].(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok && s != "null" {
				return s
			}
		}
	}
	return ""
}

// params reads parameters in any of the three forms: an object in short
// form ("email": "string"), an object in full form ("email": {"type":
// "string", "in": "query"}), or an array of full form objects with "name".
func (p *problems) params(raw json.RawMessage, path string) Params {
	var out Params
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			p.add(path, "must be an object or an array of parameter objects")
			return nil
		}
		for i, item := range list {
			prm := p.param(item, index(path, i), "")
			if prm.Name == "" {
				p.add(index(path, i), `needs a "name"`)
				continue
			}
			out = append(out, prm)
		}
		return out
	}
	ms, err := members(raw)
	if err != nil {
		p.add(path, `must be an object like {"email": "string"} or an array of parameter objects`)
		return nil
	}
	for _, m := range ms {
		out = append(out, p.param(m.value, join(path, m.key), m.key))
	}
	return out
}

// param reads one parameter; name is its key in object form, "" in array
// form where it must carry its own "name".
func (p *problems) param(raw json.RawMessage, path, name string) Param {
	prm := Param{Name: name}
	var short string
	if json.Unmarshal(raw, &short) == nil {
		t := strings.ToLower(strings.TrimSpace(short))
		if alias, ok := typeAliases[t]; ok {
			t = alias
		}
		prm.Schema = map[string]any{"type": t}
		return prm
	}
	ms, err := members(raw)
	if err != nil {
		p.add(path, `must be a type name like "string" or an object like {"type": "string", "in": "query"}`)
		return prm
	}
	known := slices.Concat(paramKeys, schemaKeywords)
	if name == "" {
		known = append(known, "name")
	}
	for _, m := range ms {
		at := join(path, m.key)
		var v any
		if err := json.Unmarshal(m.value, &v); err != nil {
			p.add(at, "must be valid JSON")
			continue
		}
		switch {
		case m.key == "name" && name == "":
			s, ok := v.(string)
			if !ok {
				p.add(at, "must be a string")
			}
			prm.Name = s
		case m.key == "in" || m.key == "location":
			s, ok := v.(string)
			if !ok {
				p.add(at, "must be one of path, query, header, body")
			}
			prm.In = strings.ToLower(s)
		case m.key == "required" || m.key == "x-required":
			// A list is JSON Schema's "required" for an object's own
			// properties; a boolean is whether the parameter is required.
			if b, ok := v.(bool); ok {
				prm.Required = b
			} else if _, ok := v.([]any); ok && m.key == "required" {
				prm.setSchema(m.key, v)
			} else {
				p.add(at, "must be true or false")
			}
		case m.key == "description":
			s, ok := v.(string)
			if !ok {
				p.add(at, "must be a string")
			}
			prm.Description = s
		case m.key == "default":
			prm.Default = v
		case m.key == "style":
			s, ok := v.(string)
			if !ok {
				p.add(at, "must be a string like \"form\" or \"deepObject\"")
			}
			prm.Style = s
		case m.key == "explode":
			b, ok := v.(bool)
			if !ok {
				p.add(at, "must be true or false")
			}
			prm.Explode = &b
		case slices.Contains(schemaKeywords, m.key) || strings.HasPrefix(m.key, "x-"):
			prm.setSchema(m.key, v)
		default:
			if m.key == "name" {
				p.add(at, "the parameter's name is its key in the parameters object; remove \"name\"")
				continue
			}
			p.unknown(path, m.key, known)
		}
	}
	return prm
}

func (p *Param) setSchema(key string, v any) {
	if p.Schema == nil {
		p.Schema = map[string]any{}
	}
	p.Schema[key] = v
}

// MarshalJSON writes the parameters as one object keyed by name, in order,
// each in full form, so a stored definition reads back the same.
func (ps Params) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, prm := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(prm.Name)
		b.Write(k)
		b.WriteByte(':')
		v, err := prm.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads any of the forms [Parse] accepts for parameters.
func (ps *Params) UnmarshalJSON(data []byte) error {
	var p problems
	*ps = p.params(data, "parameters")
	return p.err()
}

// MarshalJSON writes the parameter in full form: its JSON Schema keywords
// merged with in, required, description and default. The name is not
// written: it is the key of the enclosing object.
func (p Param) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	put := func(key string, v any) error {
		enc, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(enc)
		return nil
	}
	_, nestedRequired := p.Schema["required"].([]any)
	rest := make([]string, 0, len(p.Schema))
	for k := range p.Schema {
		if k != "type" {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	steps := []struct {
		key  string
		v    any
		skip bool
	}{
		{"type", p.Schema["type"], p.Schema["type"] == nil},
		{"in", p.In, p.In == ""},
		{"required", true, !p.Required || nestedRequired},
		{"x-required", true, !p.Required || !nestedRequired},
		{"description", p.Description, p.Description == ""},
		{"default", p.Default, p.Default == nil},
		{"style", p.Style, p.Style == ""},
		{"explode", p.Explode, p.Explode == nil},
	}
	for _, s := range steps {
		if s.skip {
			continue
		}
		if err := put(s.key, s.v); err != nil {
			return nil, err
		}
	}
	for _, k := range rest {
		if err := put(k, p.Schema[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads one parameter in short or full form; the name is
// left for the enclosing [Params] to set.
func (p *Param) UnmarshalJSON(data []byte) error {
	var pr problems
	*p = pr.param(data, "", "-")
	p.Name = ""
	return pr.err()
}
