package trigger

import (
	"encoding/json"
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
// holding JSON, like Slack's "payload", is parsed too), else as text.
func ParseBody(contentType string, body []byte) any {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" {
		if vals, err := url.ParseQuery(string(body)); err == nil {
			out := make(map[string]any, len(vals))
			for k, v := range vals {
				var parsed any
				if s := strings.TrimSpace(v[0]); strings.HasPrefix(s, "{") && json.Unmarshal([]byte(s), &parsed) == nil {
					out[k] = parsed
					continue
				}
				out[k] = v[0]
			}
			return out
		}
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		return v
	}
	return string(body)
}
