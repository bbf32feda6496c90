package openapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"
)

// load decodes the document, converting Swagger 2.0 to OpenAPI 3, and
// resolves its internal references. References to other documents are
// refused: the loader's default, kept on purpose. parsed is called with
// the document's info.title once it is parsed, before the costly rest;
// its error is returned as is.
func load(ctx context.Context, data []byte, parsed func(title string) error) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = false

	// kin-openapi parses every document with its YAML parser first, which
	// takes seconds and a gigabyte on a JSON document the size of GitHub's.
	// A JSON document is turned into the same node tree by a JSON tokenizer
	// instead (see jsonNode) and decoded from that.
	var root *yaml.Node
	var head version
	var err error
	if isJSON(data) {
		if root, err = jsonNode(data); err != nil {
			return nil, fmt.Errorf("the document is not valid JSON: %w", err)
		}
		head, err = nodeVersion(root)
	} else {
		head, err = yamlVersion(data)
		if err == nil && !head.swagger {
			root = &yaml.Node{}
			if err = yaml.Unmarshal(data, root); err != nil {
				return nil, fmt.Errorf("the document is not valid YAML: %w", err)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	title := head.title
	if root != nil {
		title = nodeTitle(root)
	}
	if err := parsed(title); err != nil {
		return nil, err
	}

	var spec *openapi3.T
	switch {
	case head.swagger:
		spec, err = loadSwagger2(loader, quoteSwaggerVersion(data))
	default:
		// A discriminator's mapping values are not references to follow:
		// they may name schemas in other files, and import has no use for
		// them.
		dropDiscriminatorMappings(root)
		spec = &openapi3.T{}
		if err = root.Decode(spec); err == nil {
			root = nil // the tree is garbage from here on
			err = loader.ResolveRefsIn(spec, nil)
		}
	}
	if err != nil {
		return nil, explainLoadError(err)
	}
	return spec, nil
}

// version is what a document says it is, with its title when read from
// YAML.
type version struct {
	swagger bool
	openapi string
	title   string
}

func isJSON(data []byte) bool {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// yamlVersion reads only the "swagger" and "openapi" fields of a YAML
// document, so that the right decoder can be chosen.
func yamlVersion(data []byte) (version, error) {
	var head struct {
		Swagger any `yaml:"swagger"`
		OpenAPI any `yaml:"openapi"`
		Info    struct {
			Title any `yaml:"title"`
		} `yaml:"info"`
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return version{}, errors.New("the document is empty")
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return version{}, fmt.Errorf("the document is neither valid JSON nor YAML: %w", err)
	}
	// An author may write swagger: 2.0 unquoted, which YAML reads as a
	// number.
	v, err := checkVersion(fmt.Sprint(orEmpty(head.Swagger)), fmt.Sprint(orEmpty(head.OpenAPI)))
	v.title = fmt.Sprint(orEmpty(head.Info.Title))
	return v, err
}

// nodeTitle reads info.title from a document's node tree.
func nodeTitle(root *yaml.Node) string {
	if len(root.Content) == 0 {
		return ""
	}
	if info := member(root.Content[0], "info"); info != nil {
		if title := member(info, "title"); title != nil && title.Kind == yaml.ScalarNode {
			return title.Value
		}
	}
	return ""
}

// member returns the value of key in a mapping node, or nil.
func member(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// nodeVersion reads the same fields from a JSON document's node tree.
func nodeVersion(root *yaml.Node) (version, error) {
	var swagger, openapi string
	if doc := root.Content[0]; doc.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(doc.Content); i += 2 {
			switch doc.Content[i].Value {
			case "swagger":
				swagger = doc.Content[i+1].Value
			case "openapi":
				openapi = doc.Content[i+1].Value
			}
		}
	}
	return checkVersion(swagger, openapi)
}

func checkVersion(swagger, openapi string) (version, error) {
	swagger, openapi = strings.TrimSpace(swagger), strings.TrimSpace(openapi)
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

// unquotedSwagger matches a top-level swagger: 2.0 written as a number.
var unquotedSwagger = regexp.MustCompile(`(?m)^swagger:[ \t]*2(\.0)?[ \t]*(#.*)?$`)

// quoteSwaggerVersion quotes an unquoted swagger: 2.0, which kin-openapi
// refuses since it reads the field as a string.
func quoteSwaggerVersion(data []byte) []byte {
	if isJSON(data) {
		return data
	}
	return unquotedSwagger.ReplaceAll(data, []byte(`swagger: "2.0"`))
}

// loadSwagger2 decodes a Swagger 2.0 document and converts it to OpenAPI 3
// with the given loader, so the same reference policy applies to both.
func loadSwagger2(loader *openapi3.Loader, data []byte) (*openapi3.T, error) {
	var doc2 openapi2.T
	if err := openapi2.UnmarshalFromData(data, &doc2); err != nil {
		return nil, fmt.Errorf("load swagger 2.0 document: %w", err)
	}
	markCollectionFormats(&doc2)
	return openapi2conv.ToV3WithLoader(&doc2, loader, nil)
}

// dropDiscriminatorMappings removes the mapping of every discriminator
// object (one with a propertyName) in the tree.
func dropDiscriminatorMappings(n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := n.Content[i+1]; n.Content[i].Value == "discriminator" && v.Kind == yaml.MappingNode && hasKey(v, "propertyName") {
				for j := 0; j+1 < len(v.Content); j += 2 {
					if v.Content[j].Value == "mapping" {
						v.Content = append(v.Content[:j], v.Content[j+2:]...)
						break
					}
				}
			}
		}
	}
	for _, child := range n.Content {
		dropDiscriminatorMappings(child)
	}
}

func hasKey(n *yaml.Node, key string) bool { return member(n, key) != nil }
