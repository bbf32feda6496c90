package connector

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// CoerceStrings converts the text values of command-line flags (--param
// k=v) and HTML forms to each parameter's declared type: integers (int64,
// or json.Number beyond it), numbers (json.Number, exactly as written),
// booleans (true/false, 1/0, yes/no, on/off), JSON for objects,
// and JSON or a comma-separated list for arrays. An empty value for a
// non-string parameter means "not given" and is left out, as a blank form
// field should be. Unknown names pass through as strings for
// [Action.CheckParams] to report.
func CoerceStrings(a *Action, in map[string]string) (map[string]any, error) {
	var p problems
	out := make(map[string]any, len(in))
	for _, name := range sortedKeys(in) {
		s := in[name]
		prm, ok := a.Param(name)
		if !ok {
			out[name] = s
			continue
		}
		t := prm.Type()
		if t != "string" && t != "" && strings.TrimSpace(s) == "" {
			continue
		}
		v, msg := coerce(t, itemType(prm.Schema), s)
		if msg != "" {
			p.add(join("params", name), "%s", msg)
			continue
		}
		out[name] = v
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// itemType is the declared type of an array's items, if any.
func itemType(schema map[string]any) string {
	items, _ := schema["items"].(map[string]any)
	t, _ := items["type"].(string)
	return t
}

// coerce converts s to type t, or explains why it cannot.
func coerce(t, items, s string) (any, string) {
	trimmed := strings.TrimSpace(s)
	switch t {
	case "integer":
		if n, err := strconv.ParseInt(trimmed, 10, 64); err == nil {
			return n, ""
		}
		// Beyond int64, the digits are kept exactly as written.
		if numberKind(trimmed) == "integer" {
			return json.Number(trimmed), ""
		}
		return nil, "must be an integer, got " + strconv.Quote(s)
	case "number":
		// A JSON number is kept as written, so no digit is lost to a
		// float64; other spellings people type ("1.", ".5") are parsed.
		if numberKind(trimmed) != "" {
			return json.Number(trimmed), ""
		}
		f, err := strconv.ParseFloat(trimmed, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, "must be a number, got " + strconv.Quote(s)
		}
		return f, ""
	case "boolean":
		switch strings.ToLower(trimmed) {
		case "true", "1", "yes", "on":
			return true, ""
		case "false", "0", "no", "off":
			return false, ""
		}
		return nil, "must be true or false, got " + strconv.Quote(s)
	case "object":
		var m map[string]any
		if err := json.Unmarshal([]byte(trimmed), &m); err != nil || m == nil {
			return nil, `must be a JSON object, like {"key": "value"}`
		}
		return m, ""
	case "array":
		if strings.HasPrefix(trimmed, "[") {
			var list []any
			if err := json.Unmarshal([]byte(trimmed), &list); err != nil {
				return nil, `must be a JSON array or a comma-separated list, like a,b,c`
			}
			return list, ""
		}
		parts := strings.Split(trimmed, ",")
		list := make([]any, 0, len(parts))
		for _, part := range parts {
			v, msg := coerce(items, "", strings.TrimSpace(part))
			if msg != "" {
				return nil, "item " + strconv.Quote(part) + ": " + msg
			}
			list = append(list, v)
		}
		return list, ""
	}
	return s, ""
}
