package connector

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"
)

// CheckParams validates the values for a run of the action and returns
// them with declared defaults filled in. It reports every unknown, missing
// or ill-typed parameter in one *ValidationError with fields like
// "params.email". A nil value counts as not given.
func (a *Action) CheckParams(params map[string]any) (map[string]any, error) {
	var p problems
	out := make(map[string]any, len(a.Parameters))
	for _, name := range sortedKeys(params) {
		if _, ok := a.Param(name); !ok {
			p.add(join("params", name), "unknown parameter; known: %s", a.paramNames())
		}
	}
	for i := range a.Parameters {
		prm := &a.Parameters[i]
		at := join("params", prm.Name)
		v, given := params[prm.Name]
		if !given || v == nil {
			switch {
			case prm.Default != nil:
				out[prm.Name] = prm.Default
			case a.required(prm):
				p.add(at, "required%s", describe(prm))
			}
			continue
		}
		var resolved *jsonschema.Resolved
		if needsLibrary(prm) {
			// Validate has already reported a schema that does not resolve.
			resolved, _ = prm.resolve(false)
		}
		if msg := valueProblem(prm, resolved, v); msg != "" {
			p.add(at, "%s", msg)
			continue
		}
		if msg := placementProblem(prm, a.location(prm), v); msg != "" {
			p.add(at, "%s", msg)
			continue
		}
		out[prm.Name] = v
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func describe(p *Param) string {
	var parts []string
	if t := p.Type(); t != "" {
		parts = append(parts, t)
	}
	if p.Description != "" {
		parts = append(parts, p.Description)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ": ") + ")"
}

// placementProblem refuses values that do not fit where they go: path
// values that would change which resource the path names (empty, or dot
// segments however written), and header values that would end the header.
func placementProblem(prm *Param, in string, v any) string {
	style := prm.style(in)
	switch in {
	case InPath:
		s := pathValue(prm.Name, v, style, prm.explode(style), func(s string) string { return s })
		if s == "" {
			return "must not be empty; it fills a segment of the path"
		}
		// The value is escaped into one segment, but a server that decodes
		// it again, or splits it at an escaped "/" or a "\", would see
		// what CheckSegments looks for.
		if CheckSegments(s) != nil {
			return `must not be "." or "..", nor hold such a segment, even percent-encoded; it fills a segment of the path`
		}
	case InHeader:
		if strings.ContainsAny(headerValue(v, prm.explode(style)), "\r\n\x00") {
			return "must not contain line breaks; it is sent as a header"
		}
	}
	return ""
}

// plainKeywords are checked by valueProblem itself or carry no constraint.
var plainKeywords = map[string]bool{
	"type": true, "enum": true, "description": true, "title": true, "default": true,
	"examples": true, "example": true, "nullable": true, "deprecated": true,
	"readOnly": true, "writeOnly": true, "format": true, "$comment": true,
	"minimum": true, "maximum": true, "minLength": true, "maxLength": true, "pattern": true,
}

// needsLibrary reports whether the schema has keywords (nested items,
// properties, combinators …) that only the full validator understands.
func needsLibrary(p *Param) bool {
	for k := range p.Schema {
		if !plainKeywords[k] && !strings.HasPrefix(k, "x-") {
			return true
		}
	}
	return false
}

// valueProblem explains, in a sentence, why v does not fit the parameter,
// or returns "". Common keywords get their own wording; the rest is left
// to jsonschema-go when resolved is not nil.
func valueProblem(p *Param, resolved *jsonschema.Resolved, v any) string {
	got := jsonType(v)
	if want := allowedTypes(p); len(want) > 0 && !typeAllowed(want, got) {
		switch got {
		case "number":
			// Only a fraction is wrong here; show it.
			if slices.Contains(want, "integer") {
				return fmt.Sprintf("must be %s, got %s", withArticles(want), jsonText(v))
			}
		case "integer":
			// In JSON terms 3 is a number; "integer" would confuse.
			got = "number"
		}
		return fmt.Sprintf("must be %s, got %s", withArticles(want), got)
	}
	s := p.Schema
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return jsonschema.Equal(e, normalize(v)) }) {
		return fmt.Sprintf("must be one of %s, got %s", jsonList(enum), jsonText(v))
	}
	if f, ok := number(v); ok {
		if m, ok := s["minimum"].(float64); ok && f < m {
			return fmt.Sprintf("must be at least %v, got %v", m, f)
		}
		if m, ok := s["maximum"].(float64); ok && f > m {
			return fmt.Sprintf("must be at most %v, got %v", m, f)
		}
	}
	if str, ok := v.(string); ok {
		n := float64(utf8.RuneCountInString(str))
		if m, ok := s["minLength"].(float64); ok && n < m {
			return fmt.Sprintf("must be at least %v characters long, got %v", m, n)
		}
		if m, ok := s["maxLength"].(float64); ok && n > m {
			return fmt.Sprintf("must be at most %v characters long, got %v", m, n)
		}
		if pat, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(pat); err == nil && !re.MatchString(str) {
				return fmt.Sprintf("must match the pattern %s", pat)
			}
		}
	}
	if resolved != nil {
		if err := resolved.Validate(normalize(v)); err != nil {
			return schemaMessage(err)
		}
	}
	return ""
}

func allowedTypes(p *Param) []string {
	var out []string
	switch t := p.Schema["type"].(type) {
	case string:
		out = []string{t}
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func typeAllowed(want []string, got string) bool {
	return slices.Contains(want, got) || got == "integer" && slices.Contains(want, "number")
}

func withArticles(types []string) string {
	parts := make([]string, len(types))
	for i, t := range types {
		switch t {
		case "integer", "object", "array":
			parts[i] = "an " + t
		case "null":
			parts[i] = t
		default:
			parts[i] = "a " + t
		}
	}
	return strings.Join(parts, " or ")
}

// jsonType names the JSON type of a Go value as decoded from JSON (with or
// without UseNumber) or passed by Go code: whole numbers are integers, any
// slice an array.
func jsonType(v any) string {
	if v == nil {
		return "null"
	}
	if n, ok := v.(json.Number); ok {
		// Exact, from the text: a float64 would call 9007199254740993.5
		// an integer.
		if kind := numberKind(string(n)); kind != "" {
			return kind
		}
		return "string"
	}
	if f, ok := number(v); ok {
		if f == math.Trunc(f) && !math.IsInf(f, 0) {
			return "integer"
		}
		return "number"
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Pointer:
		return jsonType(reflect.ValueOf(v).Elem().Interface())
	}
	return "object"
}

// number converts any Go or JSON number to float64, for comparing with
// bounds; a json.Number beyond float64's range becomes ±Inf (or 0), which
// still compares the right way.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		if numberKind(string(n)) == "" {
			return 0, false
		}
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil || errors.Is(err, strconv.ErrRange)
	case float64:
		return n, true
	case float32:
		return float64(n), true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true
	}
	return 0, false
}

// normalize turns any Go value into the plain JSON shapes (map[string]any,
// []any, float64 …) that the schema library compares against.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func jsonList(list []any) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = jsonText(v)
	}
	return strings.Join(parts, ", ")
}
