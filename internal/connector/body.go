package connector

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// Body types: how an action's body parameters are encoded.
const (
	// BodyJSON sends the body parameters as one JSON object. It is the
	// default.
	BodyJSON = "json"
	// BodyForm sends them as application/x-www-form-urlencoded. Objects
	// and arrays are spelled out with brackets (a[b]=1, items[0][price]=p)
	// unless the parameter names another style.
	BodyForm = "form"
	// BodyMultipart sends them as multipart/form-data, one part each. A
	// file parameter ("format": "binary" or "contentEncoding": "base64")
	// takes its content base64-encoded and is sent as the decoded bytes
	// with a filename; an object or array of objects is a JSON part;
	// anything else is a text part, an array one part per item.
	BodyMultipart = "multipart"
)

var bodyTypes = []string{BodyJSON, BodyForm, BodyMultipart}

// EffectiveBodyType returns the action's body type, json when unset.
func (a *Action) EffectiveBodyType() string {
	if a.BodyType == "" {
		return BodyJSON
	}
	return a.BodyType
}

// bodyValue is one body parameter with the value given for it.
type bodyValue struct {
	prm *Param
	v   any
}

// encodeBody writes the body parameters given in the action's body type
// and returns the body with its Content-Type. whole is set when a lone
// parameter named "body" stands for the whole body.
func (a *Action) encodeBody(given []bodyValue, whole bool) ([]byte, string, error) {
	bodyType := a.EffectiveBodyType()
	if whole && bodyType != BodyJSON {
		// The members of a whole-body object are the fields.
		obj, ok := plain(given[0].v).(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("a %s body must be an object of fields, got %s", bodyType, jsonType(given[0].v))
		}
		given = nil
		for _, k := range sortedKeys(obj) {
			given = append(given, bodyValue{prm: &Param{Name: k}, v: obj[k]})
		}
	}
	switch bodyType {
	case BodyForm:
		var pairs []pair
		for _, g := range given {
			style := g.prm.style(InBody)
			for _, p := range queryPairs(g.prm.Name, g.v, style, g.prm.explode(style)) {
				pairs = append(pairs, p)
			}
		}
		return []byte(joinPairs(pairs)), "application/x-www-form-urlencoded", nil
	case BodyMultipart:
		return multipartBody(given)
	}
	if whole {
		b, err := json.Marshal(given[0].v)
		return b, "application/json", err
	}
	var body bytes.Buffer
	for _, g := range given {
		if err := addMember(&body, g.prm.Name, g.v); err != nil {
			return nil, "", fmt.Errorf("encode %s: %w", g.prm.Name, err)
		}
	}
	return append(append([]byte{'{'}, body.Bytes()...), '}'), "application/json", nil
}

// joinPairs joins pairs in the order given: a form body keeps the
// parameters' declared order.
func joinPairs(pairs []pair) string {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// IsFile reports whether a parameter holds a file's bytes, given
// base64-encoded: "format": "binary" (OpenAPI 3.0) or "contentEncoding":
// "base64" (JSON Schema), or an array of such items.
func (p *Param) IsFile() bool {
	return isFileSchema(p.Schema)
}

func isFileSchema(s map[string]any) bool {
	if s == nil {
		return false
	}
	if s["format"] == "binary" || s["contentEncoding"] == "base64" {
		return true
	}
	if items, ok := s["items"].(map[string]any); ok && s["type"] == "array" {
		return isFileSchema(items)
	}
	return false
}

// multipartBody writes one part per value (per item for an array).
func multipartBody(given []bodyValue) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, g := range given {
		file := g.prm.IsFile()
		mediaType, _ := g.prm.Schema["contentMediaType"].(string)
		if items, ok := g.prm.Schema["items"].(map[string]any); ok && mediaType == "" {
			mediaType, _ = items["contentMediaType"].(string)
		}
		values := []any{plain(g.v)}
		if list, ok := values[0].([]any); ok && (file || !hasObjects(list)) {
			values = list
		}
		for _, v := range values {
			if err := writePart(w, g.prm.Name, v, file, mediaType); err != nil {
				return nil, "", fmt.Errorf("encode %s: %w", g.prm.Name, err)
			}
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

func hasObjects(list []any) bool {
	for _, item := range list {
		switch item.(type) {
		case map[string]any, []any:
			return true
		}
	}
	return false
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "%0D", "\n", "%0A")

func writePart(w *multipart.Writer, name string, v any, file bool, mediaType string) error {
	h := textproto.MIMEHeader{}
	disposition := `form-data; name="` + quoteEscaper.Replace(name) + `"`
	var content []byte
	switch {
	case file:
		s, _ := v.(string)
		data, err := decodeBase64(s)
		if err != nil {
			return fmt.Errorf("a file is given base64-encoded: %w", err)
		}
		content = data
		disposition += `; filename="` + quoteEscaper.Replace(name) + `"`
		if mediaType == "" {
			mediaType = "application/octet-stream"
		}
	default:
		switch v.(type) {
		case map[string]any, []any:
			content = []byte(jsonText(v))
			if mediaType == "" {
				mediaType = "application/json"
			}
		default:
			content = []byte(scalarString(v))
		}
	}
	h.Set("Content-Disposition", disposition)
	if mediaType != "" {
		h.Set("Content-Type", mediaType)
	}
	part, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = part.Write(content)
	return err
}

// decodeBase64 takes standard or URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}
