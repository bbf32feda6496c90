package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Webhook is what expressions see as "webhook".
type Webhook struct {
	ID, Name, Source string
}

// Env builds the variables of an event's expressions from the request as
// received.
func Env(w Webhook, h http.Header, body []byte) map[string]any {
	headers := make(map[string]string, len(h))
	for k, v := range h {
		if len(v) > 0 {
			headers[strings.ToLower(k)] = v[0]
		}
	}
	return map[string]any{
		"event":   ParseBody(h.Get("Content-Type"), body),
		"headers": headers,
		"webhook": map[string]any{"id": w.ID, "name": w.Name, "source": w.Source},
	}
}

// ParseBody reads a body as JSON, or as form fields for form posts (a field
// holding JSON, like Slack's "payload", is parsed too), else as text. A body
// that is a JSON object or array is JSON whatever its Content-Type says:
// `curl -d '{…}'` labels JSON as a form post, and read as a form it would be
// one field named after the whole document.
func ParseBody(contentType string, body []byte) any {
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		if v, err := decodeJSON(trimmed); err == nil {
			return v
		}
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" {
		if vals, err := url.ParseQuery(string(body)); err == nil {
			out := make(map[string]any, len(vals))
			for k, v := range vals {
				if s := strings.TrimSpace(v[0]); strings.HasPrefix(s, "{") {
					if parsed, err := decodeJSON([]byte(s)); err == nil {
						out[k] = parsed
						continue
					}
				}
				out[k] = v[0]
			}
			return out
		}
	}
	if v, err := decodeJSON(body); err == nil {
		return v
	}
	return string(body)
}

// decodeJSON reads one JSON value keeping whole numbers exact: a whole
// number that fits 64 bits is an int, so an id like 9007199254740993
// reaches the action as sent; other numbers are float64, and one too
// large for a float64 stays a json.Number, which is sent as written.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return exactNumbers(v), nil
}

func exactNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = exactNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = exactNumbers(e)
		}
	}
	return v
}
