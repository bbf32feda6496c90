package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// version is what a document says it is.
type version struct {
	swagger bool
	openapi string
}

// detectVersion reads only the "swagger" and "openapi" fields, so that the
// right decoder can be chosen before the document is decoded in full.
func detectVersion(data []byte) (version, error) {
	var head struct {
		Swagger any `json:"swagger" yaml:"swagger"`
		OpenAPI any `json:"openapi" yaml:"openapi"`
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return version{}, errors.New("the document is empty")
	}
	var err error
	if trimmed[0] == '{' {
		// encoding/json is much faster than YAML on large JSON documents.
		err = json.Unmarshal(trimmed, &head)
	} else {
		err = yaml.Unmarshal(trimmed, &head)
	}
	if err != nil {
		return version{}, fmt.Errorf("the document is neither valid JSON nor YAML: %w", err)
	}
	// A YAML author may write swagger: 2.0 unquoted, which decodes as a
	// number.
	swagger := strings.TrimSpace(fmt.Sprint(orEmpty(head.Swagger)))
	openapi := strings.TrimSpace(fmt.Sprint(orEmpty(head.OpenAPI)))
	switch {
	case swagger == "2" || swagger == "2.0":
		return version{swagger: true}, nil
	case swagger != "":
		return version{}, fmt.Errorf("swagger version %q is not supported; only 2.0 is", swagger)
	case strings.HasPrefix(openapi, "3."):
		return version{openapi: openapi}, nil
	case openapi != "":
		return version{}, fmt.Errorf("openapi version %q is not supported; 3.0 and 3.1 are", openapi)
	default:
		return version{}, errors.New(`the document has neither an "openapi" nor a "swagger" field; is it an OpenAPI description?`)
	}
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// loadSwagger2 decodes a Swagger 2.0 document and converts it to OpenAPI 3
// with the given loader, so the same reference policy applies to both.
func loadSwagger2(loader *openapi3.Loader, data []byte) (*openapi3.T, error) {
	var doc2 openapi2.T
	if err := openapi2.UnmarshalFromData(data, &doc2); err != nil {
		return nil, fmt.Errorf("load swagger 2.0 document: %w", err)
	}
	spec, err := openapi2conv.ToV3WithLoader(&doc2, loader, nil)
	if err != nil {
		return nil, explainLoadError(err)
	}
	return spec, nil
}
