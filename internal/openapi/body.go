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

// body adds the JSON request body's fields to the parameters. Plugboard
// sends bodies as JSON only, so an operation whose required body has no
// JSON media type is skipped whole, and an optional one is left out.
func (imp *importer) body(o operation, out connector.Params) (connector.Params, bool) {
	rb := o.op.RequestBody
	if rb == nil || rb.Value == nil || len(rb.Value.Content) == 0 {
		return out, true
	}
	if !methodHasBody(o.method) {
		// Plugboard sends no body with these methods: many servers and
		// proxies drop or refuse one.
		if rb.Value.Required {
			imp.report.skip(o.id(), "not imported: it requires a request body, which Plugboard does not send with %s", o.method)
			return nil, false
		}
		imp.report.partial(o.id(), "optional request body left out: Plugboard sends no body with %s", o.method)
		return out, true
	}
	ref := pickContentSchema(rb.Value.Content)
	if ref == nil {
		types := strings.Join(slices.Sorted(maps.Keys(rb.Value.Content)), ", ")
		if rb.Value.Required {
			imp.report.skip(o.id(), "not imported: its request body is %s, and only JSON bodies are supported", types)
			return nil, false
		}
		imp.report.partial(o.id(), "optional request body (%s) left out: only JSON bodies are supported", types)
		return out, true
	}

	// Converted one level up so that the body's fields, which become
	// parameters, start at level 0 like the other parameters.
	c := imp.conv.convert(ref, -1)
	props, _ := c.schema["properties"].(map[string]any)
	_, oneOf := c.schema["oneOf"]
	_, anyOf := c.schema["anyOf"]
	if len(props) == 0 || oneOf || anyOf {
		imp.reportCuts(o, bodyParam, c)
		prm := lift(bodyParam, c.schema)
		prm.In = connector.InBody
		prm.Required = rb.Value.Required
		if prm.Description == "" {
			prm.Description = describeText(rb.Value.Description, maxDescription)
		}
		return imp.addParam(o, out, prm), true
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
		prm := lift(name, field)
		prm.In = connector.InBody
		// A field the schema requires is only required of the caller when
		// the body itself is: an optional body may be left out whole.
		prm.Required = rb.Value.Required && slices.Contains(required, any(name))
		out = imp.addParam(o, out, prm)
	}
	if !attributed {
		// Fields merged from allOf members have no schema of their own
		// to ask; the cut is reported for the body as a whole.
		imp.reportCuts(o, bodyParam, c)
	}
	return out, true
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
