package openapi

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/plugboard/plugboard/internal/connector"
)

// reservedHeaders are header parameters OpenAPI says to ignore: Plugboard
// sets them itself from the body and the integration's auth.
var reservedHeaders = []string{"accept", "content-type", "authorization"}

// params builds an operation's parameters: path, query and header ones
// first, in the document's order, then the request body's fields, with
// the body's type. It returns false when the operation cannot be called
// without something that had to be left out.
func (imp *importer) params(o operation) (connector.Params, string, bool) {
	var out connector.Params
	for _, ref := range mergedParameters(o.item.Parameters, o.op.Parameters) {
		p := ref.Value
		switch {
		case p == nil:
			imp.report.partial(o.id(), "parameter %q is empty", ref.Ref)
		case p.In == openapi3.ParameterInCookie:
			imp.report.partial(o.id(), "cookie parameter %q left out: Plugboard does not send cookies", p.Name)
		case p.In == openapi3.ParameterInHeader && slices.Contains(reservedHeaders, strings.ToLower(p.Name)):
			imp.report.partial(o.id(), "header parameter %q left out: Plugboard sets it", p.Name)
		case p.In != openapi3.ParameterInPath && p.In != openapi3.ParameterInQuery && p.In != openapi3.ParameterInHeader:
			imp.report.partial(o.id(), "parameter %q in %q left out: unknown location", p.Name, p.In)
		case p.In == openapi3.ParameterInPath && !strings.Contains(o.path, "{"+p.Name+"}"):
			imp.report.partial(o.id(), "path parameter %q left out: the path has no {%s}", p.Name, p.Name)
		case p.In == openapi3.ParameterInHeader && !validHeaderName(p.Name):
			imp.report.partial(o.id(), "header parameter %q left out: not a valid header name", p.Name)
		default:
			prm, ok := imp.param(o, p)
			if ok {
				out = imp.addParam(o, out, prm)
			}
		}
	}
	out = imp.undeclaredPathParams(o, out)
	return imp.body(o, out)
}

// mergedParameters lists the path item's parameters with the operation's
// replacing those of the same name and location, as OpenAPI specifies.
func mergedParameters(pathLevel, opLevel openapi3.Parameters) openapi3.Parameters {
	out := make(openapi3.Parameters, 0, len(pathLevel)+len(opLevel))
	index := map[[2]string]int{}
	for _, list := range []openapi3.Parameters{pathLevel, opLevel} {
		for _, ref := range list {
			if ref == nil {
				continue
			}
			if ref.Value == nil {
				out = append(out, ref)
				continue
			}
			id := [2]string{ref.Value.In, ref.Value.Name}
			if i, ok := index[id]; ok {
				out[i] = ref
				continue
			}
			index[id] = len(out)
			out = append(out, ref)
		}
	}
	return out
}

// param converts one path, query or header parameter. A parameter
// described by content rather than a schema is sent as that content's
// text: an object or array in it is asked for already serialized.
func (imp *importer) param(o operation, p *openapi3.Parameter) (connector.Param, bool) {
	ref := p.Schema
	if ref == nil {
		// A parameter may describe its value with content instead.
		ref = pickContentSchema(p.Content)
	}
	var c converted
	if ref == nil {
		c = converted{schema: map[string]any{"type": "string"}}
	} else {
		c = imp.conv.convert(ref, 0)
	}
	imp.reportCuts(o, p.Name, c)
	prm := lift(p.Name, c.schema, describeText(p.Description, maxDescription))
	prm.In = p.In
	prm.Required = p.Required || p.In == openapi3.ParameterInPath
	if t := schemaTypeName(prm.Schema); p.Schema == nil && ref != nil && (t == "array" || t == "object" || t == "") {
		imp.report.partial(o.id(), "parameter %q is JSON content; imported as a string to be given already serialized", p.Name)
		prm.Schema = map[string]any{"type": "string", "contentMediaType": "application/json"}
		return prm, true
	}
	if t := schemaTypeName(prm.Schema); t == "array" || t == "object" || t == "" {
		prm.Style, prm.Explode = p.Style, p.Explode
		if x, ok := p.Extensions[collectionFormatExtension].(string); ok {
			prm.Style, prm.Explode = collectionStyle(p.In, x)
		}
		imp.checkStyle(o, &prm, p.In)
	}
	return prm, true
}

// checkStyle keeps a style the connector accepts where the parameter
// goes; another is reported and replaced by the location's default.
func (imp *importer) checkStyle(o operation, prm *connector.Param, in string) {
	if prm.Style == "" {
		return
	}
	if !connector.StyleAllowed(in, prm.Style) {
		imp.report.partial(o.id(), "parameter %q: style %q does not apply in %s; the default is used", prm.Name, prm.Style, in)
		prm.Style, prm.Explode = "", nil
	}
}

// schemaTypeName returns a schema's type, the first when it lists several.
func schemaTypeName(schema map[string]any) string {
	switch t := schema["type"].(type) {
	case string:
		return t
	case []any:
		if len(t) > 0 {
			s, _ := t[0].(string)
			return s
		}
	}
	return ""
}

// validHeaderName accepts the token characters RFC 9110 allows in a field
// name.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// addParam appends prm unless a parameter of that name is already there:
// definitions key parameters by name alone.
func (imp *importer) addParam(o operation, out connector.Params, prm connector.Param) connector.Params {
	for _, have := range out {
		if have.Name == prm.Name {
			imp.report.partial(o.id(), "%s parameter %q left out: a %s parameter has the same name", prm.In, prm.Name, have.In)
			return out
		}
	}
	return append(out, prm)
}

// undeclaredPathParams adds a required string for every {placeholder} the
// document forgot to declare, since an endpoint cannot be called without
// it, and reports the guess.
func (imp *importer) undeclaredPathParams(o operation, out connector.Params) connector.Params {
	rest := o.path
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			return out
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return out
		}
		name := rest[open+1 : open+end]
		rest = rest[open+end+1:]
		if slices.ContainsFunc(out, func(p connector.Param) bool { return p.Name == name && p.In == connector.InPath }) {
			continue
		}
		imp.report.partial(o.id(), "path parameter %q is not declared; imported as a required string", name)
		out = imp.addParam(o, out, connector.Param{
			Name: name, In: connector.InPath, Required: true,
			Schema: map[string]any{"type": "string"},
		})
	}
}

// lift makes a parameter of a converted schema, moving its description to
// the parameter's own field; description, when not empty, is used instead
// of the schema's. A default is what the server assumes when the value is
// left out, so it is told in the description and never becomes the
// parameter's default, which Plugboard would send. The schema is copied
// first since converted schemas are shared.
func lift(name string, schema map[string]any, description string) connector.Param {
	prm := connector.Param{Name: name, Description: description}
	if d, ok := schema["description"].(string); ok && description == "" {
		prm.Description = d
	}
	def, hasDefault := schema["default"]
	if hasDefault {
		prm.Description = withDefault(prm.Description, def)
	}
	if _, ok := schema["description"]; ok || hasDefault {
		schema = maps.Clone(schema)
		delete(schema, "description")
		delete(schema, "default")
	}
	prm.Schema = schema
	return prm
}

// withDefault tells a default at the end of a description, cutting the
// description rather than the default when both do not fit.
func withDefault(description string, def any) string {
	b, err := json.Marshal(def)
	if err != nil || len(b) > 200 {
		return description
	}
	note := "Default (when left out): " + string(b) + "."
	if strings.TrimSpace(description) == "" {
		return note
	}
	return describeText(description, maxDescription-len(note)-2) + "\n\n" + note
}

// reportCuts notes a schema that was shortened on the way.
func (imp *importer) reportCuts(o operation, name string, c converted) {
	if c.truncated {
		imp.report.partial(o.id(), "parameter %q: schema levels deeper than %d keep only their type (MaxSchemaDepth)", name, imp.opts.MaxSchemaDepth)
	}
	if c.recursive {
		imp.report.partial(o.id(), "parameter %q: recursive schema expanded once; the repeated part is a plain object", name)
	}
}
