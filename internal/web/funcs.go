package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"
)

func (wb *Web) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": func(name string) (string, error) { return wb.assets.url(name) },
		// err returns the message for one field of a form, if any.
		"err": func(errs map[string]string, field string) string { return errs[field] },
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict needs key/value pairs")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"pretty": prettyJSON,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "never"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
		"ago":         ago,
		"iso":         func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"join":        strings.Join,
		"add":         func(a, b int) int { return a + b },
		"ms":          func(f float64) string { return fmt.Sprintf("%.0f ms", f) },
		"statusClass": statusClass,
		"slice2":      func(a, b any) []any { return []any{a, b} },
	}
}

// prettyJSON indents JSON for reading; anything else is shown as is.
func prettyJSON(v any) string {
	var raw []byte
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		raw = []byte(t)
	case []byte:
		raw = t
	case json.RawMessage:
		raw = t
	default:
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	var out bytes.Buffer
	if json.Indent(&out, raw, "", "  ") == nil {
		return out.String()
	}
	return string(raw)
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// statusClass colours an HTTP status: ok, warn (4xx) or bad (5xx and
// failures without an answer).
func statusClass(status int) string {
	switch {
	case status >= 200 && status < 400:
		return "ok"
	case status >= 400 && status < 500:
		return "warn"
	}
	return "bad"
}
