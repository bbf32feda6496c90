package openapi

import (
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/plugboard/plugboard/internal/connector"
)

// bodyParam is the name of the one parameter that holds a whole request
// body which is not an object with named fields.
const bodyParam = "body"

// Media types of the bodies Plugboard sends besides JSON.
const (
	formMediaType      = "application/x-www-form-urlencoded"
	multipartMediaType = "multipart/form-data"
)

// body adds the request body's fields to the parameters: a JSON body, a
// form or a multipart form. A write operation whose body cannot be
// represented (another media type, or a form that is not an object of
// fields) is skipped whole: called without its body, it would do
// something else than the document says.
func (imp *importer) body(o operation, out connector.Params) (connector.Params, string, bool) {
	rb := o.op.RequestBody
	if rb == nil || rb.Value == nil || len(rb.Value.Content) == 0 {
		return out, "", true
	}
	if !methodHasBody(o.method) {
		// Plugboard sends no body with these methods: many servers and
		// proxies drop or refuse one. An optional body without fields
		// (Stripe declares one on every GET) loses nothing.
		if !rb.Value.Required && emptyBody(rb.Value.Content) {
			return out, "", true
		}
		if rb.Value.Required {
			imp.report.skip(o.id(), "not imported: it requires a request body, which Plugboard does not send with %s", o.method)
			return nil, "", false
		}
		imp.report.partial(o.id(), "optional request body left out: Plugboard sends no body with %s", o.method)
		return out, "", true
	}
	bodyType, media := pickBody(rb.Value.Content)
	if media == nil {
		types := strings.Join(slices.Sorted(maps.Keys(rb.Value.Content)), ", ")
		imp.report.skip(o.id(), "not imported: its request body is %s; Plugboard sends JSON, form (%s) and multipart (%s) bodies", types, formMediaType, multipartMediaType)
		return nil, "", false
	}
	ref := media.Schema
	if ref == nil {
		// A media type without a schema accepts any value.
		ref = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
	}

	// Converted one level up so that the body's fields, which become
	// parameters, start at level 0 like the other parameters.
	c := imp.conv.convert(ref, -1)
	props, _ := c.schema["properties"].(map[string]any)
	_, oneOf := c.schema["oneOf"]
	_, anyOf := c.schema["anyOf"]
	if len(props) == 0 || oneOf || anyOf {
		if bodyType != connector.BodyJSON {
			imp.report.skip(o.id(), "not imported: its %s body is not an object with named fields, which a form needs", bodyType)
			return nil, "", false
		}
		description := ""
		if _, ok := c.schema["description"]; !ok {
			description = describeText(rb.Value.Description, maxDescription)
		}
		imp.reportCuts(o, bodyParam, c)
		prm := lift(bodyParam, c.schema, description)
		prm.In = connector.InBody
		prm.Required = rb.Value.Required
		return imp.addParam(o, out, prm), bodyType, true
	}

	required, _ := c.schema["required"].([]any)
	attributed := false
	for _, name := range bodyFieldOrder(props, required) {
		field := props[name].(map[string]any)
		if (c.truncated || c.recursive) && ref.Value.Properties[name] != nil {
			// A cache hit: tells which fields were cut.
			fc := imp.conv.convert(ref.Value.Properties[name], 0)
			imp.reportCuts(o, name, fc)
			attributed = attributed || fc.truncated || fc.recursive
		}
		prm := lift(name, field, "")
		prm.In = connector.InBody
		// A field the schema requires is only required of the caller when
		// the body itself is: an optional body may be left out whole.
		prm.Required = rb.Value.Required && slices.Contains(required, any(name))
		switch bodyType {
		case connector.BodyForm:
			imp.formStyle(o, &prm, media.Encoding[name])
			if f := ref.Value.Properties[name]; f != nil && f.Value != nil {
				if x, ok := f.Value.Extensions[collectionFormatExtension].(string); ok {
					prm.Style, prm.Explode = collectionStyle(connector.InBody, x)
				}
			}
		case connector.BodyMultipart:
			if enc := media.Encoding[name]; enc != nil && enc.ContentType != "" && prm.IsFile() && !strings.Contains(enc.ContentType, ",") {
				prm.Schema = maps.Clone(prm.Schema)
				prm.Schema["contentMediaType"] = enc.ContentType
			}
		}
		out = imp.addParam(o, out, prm)
	}
	if !attributed {
		// Fields merged from allOf members have no schema of their own
		// to ask; the cut is reported for the body as a whole.
		imp.reportCuts(o, bodyParam, c)
	}
	return out, bodyType, true
}

// formStyle sets how a form field that is an array or an object is
// written: as its encoding says, or else as OpenAPI's default for forms,
// style form, exploded.
func (imp *importer) formStyle(o operation, prm *connector.Param, enc *openapi3.Encoding) {
	if t := schemaTypeName(prm.Schema); t != "array" && t != "object" && prm.Schema["anyOf"] == nil && prm.Schema["oneOf"] == nil {
		return
	}
	prm.Style = connector.StyleForm
	if enc != nil && enc.Style != "" {
		prm.Style = enc.Style
	}
	if enc != nil && enc.Explode != nil {
		prm.Explode = enc.Explode
	}
	imp.checkStyle(o, prm, connector.InBody)
}

// pickBody chooses the body Plugboard can send: JSON first (see
// pickContentSchema), then a form, then a multipart form.
func pickBody(content openapi3.Content) (string, *openapi3.MediaType) {
	if ref := pickContentSchema(content); ref != nil {
		return connector.BodyJSON, &openapi3.MediaType{Schema: ref}
	}
	for _, want := range []struct{ mediaType, bodyType string }{
		{formMediaType, connector.BodyForm}, {multipartMediaType, connector.BodyMultipart},
	} {
		for name, mt := range content {
			base, _, _ := strings.Cut(strings.ToLower(name), ";")
			if strings.TrimSpace(base) == want.mediaType {
				if mt == nil {
					mt = &openapi3.MediaType{}
				}
				return want.bodyType, mt
			}
		}
	}
	return "", nil
}

// methodHasBody matches the connector's rule for which methods carry body
// parameters.
func methodHasBody(method string) bool {
	switch method {
	case "POST", "PUT", "PATCH":
		return true
	}
	return false
}

// bodyFieldOrder lists required fields first, in the schema's order, then
// the others by name.
func bodyFieldOrder(props map[string]any, required []any) []string {
	names := make([]string, 0, len(props))
	for _, r := range required {
		if name, ok := r.(string); ok {
			if _, present := props[name]; present && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(props)) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// pickContentSchema returns the schema of the content's JSON media type:
// application/json first, then any other JSON type (application/*+json,
// text/json) or wildcard, by name. It returns nil when there is none.
func pickContentSchema(content openapi3.Content) *openapi3.SchemaRef {
	var best string
	bestRank := 0
	for _, mt := range slices.Sorted(maps.Keys(content)) {
		if r := jsonRank(mt); r > bestRank {
			best, bestRank = mt, r
		}
	}
	if bestRank == 0 {
		return nil
	}
	if m := content[best]; m != nil && m.Schema != nil {
		return m.Schema
	}
	// A JSON media type without a schema accepts any JSON value.
	return &openapi3.SchemaRef{Value: &openapi3.Schema{}}
}

// jsonRank rates how surely a media type takes a JSON body: 0 not at all.
func jsonRank(mediaType string) int {
	base, _, _ := strings.Cut(strings.ToLower(mediaType), ";")
	base = strings.TrimSpace(base)
	switch {
	case base == "application/json":
		return 3
	case strings.HasSuffix(base, "+json"), strings.HasSuffix(base, "/json"):
		return 2
	case base == "*/*", base == "application/*":
		return 1
	}
	return 0
}

// emptyBody reports whether every media type's schema is an object that
// declares no fields and takes no others.
func emptyBody(content openapi3.Content) bool {
	for _, mt := range content {
		if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
			return false
		}
		s := mt.Schema.Value
		if len(s.Properties) > 0 || len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) > 0 || s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
			return false
		}
	}
	return true
}
