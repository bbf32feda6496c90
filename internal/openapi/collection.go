package openapi

import (
	"github.com/getkin/kin-openapi/openapi2"

	"github.com/plugboard/plugboard/internal/connector"
)

// collectionFormatExtension carries a Swagger 2.0 array parameter's
// collectionFormat through the conversion to OpenAPI 3, which drops
// "tsv" and reads a missing one as "multi" where Swagger says "csv".
const collectionFormatExtension = "x-plugboard-collection-format"

// markCollectionFormats writes each array parameter's collectionFormat,
// "csv" when it has none, into the extension.
func markCollectionFormats(doc *openapi2.T) {
	mark := func(params openapi2.Parameters) {
		for _, p := range params {
			if p == nil || p.Ref != "" || p.Type == nil || !p.Type.Is("array") {
				continue
			}
			format := p.CollectionFormat
			if format == "" {
				format = "csv"
			}
			if p.Extensions == nil {
				p.Extensions = map[string]any{}
			}
			p.Extensions[collectionFormatExtension] = format
		}
	}
	shared := make(openapi2.Parameters, 0, len(doc.Parameters))
	for _, p := range doc.Parameters {
		shared = append(shared, p)
	}
	mark(shared)
	for _, item := range doc.Paths {
		if item == nil {
			continue
		}
		mark(item.Parameters)
		for _, op := range item.Operations() {
			if op != nil {
				mark(op.Parameters)
			}
		}
	}
}

// collectionStyle is the style and explode of a collectionFormat in a
// location: csv, ssv, tsv and pipes join the items with a comma, space,
// tab or pipe; multi repeats the parameter (query and form data only).
func collectionStyle(in, format string) (string, *bool) {
	no, yes := false, true
	if in == connector.InPath || in == connector.InHeader {
		return "", nil // simple, a,b,c: csv, the only format they take
	}
	switch format {
	case "ssv":
		return connector.StyleSpaceDelimited, &no
	case "tsv":
		return connector.StyleTabDelimited, &no
	case "pipes":
		return connector.StylePipeDelimited, &no
	case "multi":
		return connector.StyleForm, &yes
	}
	return connector.StyleForm, &no
}
