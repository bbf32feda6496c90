package openapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/naming"
)

// ErrNoActions is returned when a document loads but none of its
// operations could be imported, either because it has none, the filters
// left none, or every one of them was skipped. The Report says why.
var ErrNoActions = errors.New("no operation could be imported")

// DefaultMaxSchemaDepth is how deeply nested a parameter's schema is kept
// when Options.MaxSchemaDepth is zero.
const DefaultMaxSchemaDepth = 6

// maxDescription bounds descriptions copied from the document: agents see
// them in every tool listing, and some documents carry pages of Markdown.
const maxDescription = naming.MaxDescription

// Options narrow and adjust an import. The zero value imports every
// operation with the first server's URL.
type Options struct {
	// Name is the integration's name. Defaults to the document's info.title.
	Name string

	// ServerURL replaces the document's servers as the base URL. It is
	// required when the document has no absolute server URL.
	ServerURL string

	// ServerIndex picks which of the document's servers gives the base URL.
	// Defaults to 0, the first.
	ServerIndex int

	// Tags keeps only operations that carry at least one of these tags.
	Tags []string

	// PathPrefixes keeps only operations whose path starts with one of
	// these prefixes.
	PathPrefixes []string

	// Operations keeps only the operations with these operationIds. An
	// operationId that the document does not have is an error.
	Operations []string

	// MaxActions caps how many actions are imported; the rest are reported
	// as skipped. Defaults to 0, no limit.
	MaxActions int

	// MaxSchemaDepth bounds how deeply nested objects and arrays in a
	// parameter's schema are spelled out; deeper levels keep only their
	// type. Defaults to DefaultMaxSchemaDepth.
	MaxSchemaDepth int

	// CheckName, when set, is called with the integration's name (Name,
	// or else the document's info.title) as soon as the document is
	// parsed, before its references are resolved and its operations
	// built; an error it returns ends the import and is returned as is,
	// wrapped. Defaults to no check.
	CheckName func(name string) error
}

// WithDefaults returns a copy of the options with unset fields given their
// defaults.
func (o Options) WithDefaults() Options {
	if o.MaxSchemaDepth == 0 {
		o.MaxSchemaDepth = DefaultMaxSchemaDepth
	}
	return o
}

func (o Options) validate() error {
	switch {
	case o.ServerIndex < 0:
		return fmt.Errorf("ServerIndex must not be negative, got %d", o.ServerIndex)
	case o.MaxActions < 0:
		return fmt.Errorf("MaxActions must not be negative, got %d", o.MaxActions)
	case o.MaxSchemaDepth < 0:
		return fmt.Errorf("MaxSchemaDepth must not be negative, got %d", o.MaxSchemaDepth)
	}
	return nil
}

// Report tells what an import did with each operation of the document.
type Report struct {
	// Operations is how many operations the document has.
	Operations int `json:"operations"`
	// Imported is how many of them became actions.
	Imported int `json:"imported"`
	// Skipped lists what was left out, whole operations as well as parts
	// of imported ones (a parameter, a request body, the auth scheme).
	Skipped []Skip `json:"skipped,omitempty"`
}

// Skip is one thing an import left out, and why.
type Skip struct {
	// Operation names what was left out: "GET /pets/{id}" for an operation
	// or a part of one, "security scheme oauth" for an auth scheme.
	Operation string `json:"operation"`
	// Reason says why, in words a person can act on.
	Reason string `json:"reason"`
	// Partial is true when the operation was imported without the part
	// the reason names, false when it was left out whole.
	Partial bool `json:"partial,omitempty"`
}

// skip records something left out whole: an operation or a security
// scheme.
func (r *Report) skip(what, format string, args ...any) {
	r.Skipped = append(r.Skipped, Skip{Operation: what, Reason: fmt.Sprintf(format, args...)})
}

// partial records a part left out of an operation that was imported.
func (r *Report) partial(what, format string, args ...any) {
	r.Skipped = append(r.Skipped, Skip{Operation: what, Reason: fmt.Sprintf(format, args...), Partial: true})
}

// Import reads an OpenAPI 3.0/3.1 or Swagger 2.0 document, in JSON or YAML,
// and builds an integration definition from it. The report lists what was
// left out; it is returned with ErrNoActions too, so the caller can show
// why nothing was imported.
//
// Parameters built from the same schema share its nested maps, which keeps
// large imports small: treat Param.Schema as read-only, or copy it before
// changing it.
func Import(ctx context.Context, doc []byte, opts Options) (*connector.Definition, *Report, error) {
	opts = opts.WithDefaults()
	if err := opts.validate(); err != nil {
		return nil, nil, fmt.Errorf("import openapi: %w", err)
	}
	spec, err := load(ctx, doc, func(title string) error {
		if opts.CheckName == nil {
			return nil
		}
		name := opts.Name
		if name == "" {
			name = nameText(strings.TrimSpace(title), maxNameLength)
		}
		return opts.CheckName(name)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("import openapi: %w", err)
	}
	baseURL, err := baseURL(spec, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("import openapi: %w", err)
	}

	report := &Report{}
	def := &connector.Definition{
		Name:    opts.Name,
		BaseURL: baseURL,
		Actions: []connector.Action{},
	}
	if info := spec.Info; info != nil {
		if def.Name == "" {
			def.Name = strings.TrimSpace(info.Title)
		}
		def.Description = describeText(info.Description, maxDescription)
	}
	if def.Name == "" {
		return nil, nil, errors.New("import openapi: the document has no info.title; set a name")
	}
	if spec.ExternalDocs != nil && spec.ExternalDocs.URL != "" {
		docs := strings.TrimSpace(spec.ExternalDocs.URL)
		if u, err := url.Parse(docs); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			def.DocumentationURL = docs
		} else {
			report.skip("externalDocs", "documentation URL %q left out: not an absolute http(s) URL", docs)
		}
	}
	def.Name = nameText(def.Name, maxNameLength)
	def.Auth = importAuth(spec, report)
	resolveAuthURLs(&def.Auth, def.BaseURL)

	imp := newImporter(spec, opts, report, def.BaseURL)
	actions, ids, err := imp.actions(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("import openapi: %w", err)
	}
	def.Actions = actions
	if err := conform(def, ids, report); err != nil {
		return nil, nil, fmt.Errorf("import openapi: %w", err)
	}
	report.Imported = len(def.Actions)
	if len(def.Actions) == 0 {
		return nil, report, fmt.Errorf("import openapi: %w", ErrNoActions)
	}
	return def, report, nil
}

func explainLoadError(err error) error {
	var ext *openapi3.DisallowedExternalRefError
	if errors.As(err, &ext) {
		return fmt.Errorf("the document refers to another document (%q); only references within the document are followed, so bundle it into one file first", ext.Ref)
	}
	return fmt.Errorf("load document: %w", err)
}
