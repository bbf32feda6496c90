package logging

import (
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
)

// New returns a logger writing to w at level and above, as JSON when format
// is "json" and as logfmt-style text otherwise. Every attribute passes
// through redaction: an attribute whose key looks secret (see IsSecretKey),
// or which sits inside a group whose name looks secret, has a string or
// other non-numeric value replaced by "[REDACTED]"; structs, maps and slices
// are encoded as JSON and masked like RedactJSON does. Numbers, booleans,
// durations and times stay visible because secrets are strings and values
// such as max_tokens are worth seeing.
func New(w io.Writer, level slog.Level, format string) *slog.Logger {
	r := redactor{json: strings.EqualFold(format, "json")}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: r.replaceAttr}
	if r.json {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

type redactor struct {
	json bool
}

// replaceAttr is called by the handler for every attribute that is not a
// group, with the names of the groups around it, so nested attributes are
// covered without walking groups here.
func (r redactor) replaceAttr(groups []string, a slog.Attr) slog.Attr {
	if IsSecretKey(a.Key) || anySecret(groups) {
		if numericKind(a.Value.Kind()) {
			return a
		}
		return slog.String(a.Key, Redacted)
	}
	if a.Value.Kind() == slog.KindAny {
		return r.redactComposite(a)
	}
	return a
}

func anySecret(groups []string) bool {
	for _, g := range groups {
		if IsSecretKey(g) {
			return true
		}
	}
	return false
}

func numericKind(k slog.Kind) bool {
	switch k {
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindBool, slog.KindDuration, slog.KindTime:
		return true
	}
	return false
}

// redactComposite masks secrets inside structs, maps and slices logged with
// slog.Any. Without it the handler would print a struct's Token field as
// written, since ReplaceAttr only sees the attribute as a whole.
func (r redactor) redactComposite(a slog.Attr) slog.Attr {
	v := a.Value.Any()
	switch v := v.(type) {
	case json.RawMessage:
		return r.jsonAttr(a.Key, RedactJSON(v))
	case error, encoding.TextMarshaler, []byte:
		// These print as text of their own choosing, not as fields.
		return a
	case fmt.Stringer:
		if !r.json {
			// The text handler prints the String form, which the type's author
			// chose for display; the JSON handler ignores it.
			return a
		}
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return a
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
	default:
		return a
	}
	data, err := json.Marshal(v)
	if err != nil {
		// The handler fails to encode it too and prints the error instead.
		return a
	}
	return r.jsonAttr(a.Key, RedactJSON(data))
}

func (r redactor) jsonAttr(key string, data []byte) slog.Attr {
	if r.json {
		return slog.Any(key, json.RawMessage(data))
	}
	return slog.String(key, string(data))
}
