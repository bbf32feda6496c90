package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/naming"
	"github.com/plugboard/plugboard/internal/netguard"
	"github.com/plugboard/plugboard/internal/openapi"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/problem"
)

// MaxImportBytes caps an OpenAPI document, fetched or sent inline. Large
// public descriptions (GitHub's is about 13 MB) fit under it.
const MaxImportBytes = openapi.DefaultMaxDocumentBytes

// ImportFetchTimeout bounds the download of a document by URL.
const ImportFetchTimeout = 30 * time.Second

// ImportInput asks for an integration made from an OpenAPI 3.x or Swagger
// 2.0 document: by URL, or the document itself (JSON, or a JSON string
// holding JSON or YAML; an uploaded file's bytes work too).
type ImportInput struct {
	URL          string          `json:"openapi_url"`
	Document     json.RawMessage `json:"openapi"`
	Name         string          `json:"name"`
	Auth         json.RawMessage `json:"auth"`
	ServerURL    string          `json:"server_url"`
	ServerIndex  int             `json:"server_index"`
	Tags         []string        `json:"tags"`
	PathPrefixes []string        `json:"path_prefixes"`
	Operations   []string        `json:"operations"`
	MaxActions   int             `json:"max_actions"`
}

// Import creates an integration from an OpenAPI document and reports what
// was imported and what was skipped, with the reason for each skip.
func (s *Service) Import(ctx context.Context, p access.Principal, in ImportInput) (*Target, *openapi.Report, error) {
	if strings.TrimSpace(in.Name) != "" {
		var err error
		if in.Name, err = naming.Field("name", naming.Name, in.Name); err != nil {
			return nil, nil, err
		}
	}
	if err := s.mayAdd(ctx, p, in.Name); err != nil {
		return nil, nil, err
	}
	doc, err := s.document(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	def, report, err := openapi.Import(ctx, doc, openapi.Options{
		Name: in.Name, ServerURL: in.ServerURL, ServerIndex: in.ServerIndex, Tags: in.Tags,
		PathPrefixes: in.PathPrefixes, Operations: in.Operations, MaxActions: in.MaxActions,
		CheckName: func(name string) error { return s.nameFree(ctx, p, name) },
	})
	if pe, ok := problem.As(err); ok {
		return nil, report, pe // the name is taken
	}
	if errors.Is(err, openapi.ErrNoActions) {
		return nil, report, &problem.Error{Status: http.StatusUnprocessableEntity, Title: "Nothing to import",
			Detail: nothingImported(report, in), Errors: skippedFields(report)}
	}
	if err != nil {
		return nil, report, problem.BadRequest("the document could not be imported: %v", strings.TrimPrefix(err.Error(), "import openapi: "))
	}
	if len(bytes.TrimSpace(in.Auth)) > 0 {
		if def.Auth, err = importAuth(in.Auth); err != nil {
			return nil, report, err
		}
		if err := checkAuth(def); err != nil {
			return nil, report, err
		}
	}
	canonical, err := json.Marshal(def)
	if err != nil {
		return nil, report, err
	}
	t, err := s.create(ctx, p, def, canonical, ActionImport, map[string]any{"actions": report.Imported, "skipped": len(report.Skipped)})
	return t, report, err
}

// mayAdd checks, before the expensive work of an import, what creating the
// integration checks again at the end: the role, the plan's limit and,
// when the name is given, that it is free. A name taken from the document
// is checked as soon as the document is parsed (Options.CheckName).
func (s *Service) mayAdd(ctx context.Context, p access.Principal, name string) error {
	if err := p.May(access.Build); err != nil {
		return err
	}
	n, err := s.Store.CountIntegrations(ctx, p.Org.ID)
	if err != nil {
		return err
	}
	if err := withinPlan(p.Org, n); err != nil {
		return err
	}
	return s.nameFree(ctx, p, name)
}

// nameFree refuses a name whose slug another integration of the
// organization has.
func (s *Service) nameFree(ctx context.Context, p access.Principal, name string) error {
	if slug := connector.Slug(name); slug != "" {
		if _, err := s.Store.GetIntegration(ctx, p.Org.ID, slug); err == nil {
			return problem.Conflict("an integration named %q (slug %q) already exists in this organization; pick another name", name, slug)
		}
	}
	return nil
}

// document returns the document's bytes: fetched through the SSRF guard,
// or taken from the input.
func (s *Service) document(ctx context.Context, in ImportInput) ([]byte, error) {
	inline := len(bytes.TrimSpace(in.Document)) > 0 && !bytes.Equal(bytes.TrimSpace(in.Document), []byte("null"))
	switch {
	case in.URL != "" && inline:
		return nil, problem.BadRequest("send either openapi_url or openapi, not both")
	case in.URL != "":
		ctx, cancel := context.WithTimeout(ctx, ImportFetchTimeout)
		defer cancel()
		doc, err := openapi.Fetch(ctx, s.Fetch, in.URL, MaxImportBytes)
		if err != nil {
			return nil, fetchProblem(err)
		}
		return doc, nil
	case inline:
		var text string
		if json.Unmarshal(in.Document, &text) == nil {
			return []byte(text), nil // YAML or JSON sent as a string
		}
		return in.Document, nil
	}
	return nil, problem.Invalid("send the document as openapi (JSON, or a string of JSON or YAML) or its URL as openapi_url",
		[]problem.FieldError{{Field: "openapi", Message: "required unless openapi_url is given"}})
}

func fetchProblem(err error) error {
	var blocked *netguard.BlockedError
	var tooLarge *outbound.TooLargeError
	switch {
	case errors.As(err, &blocked):
		return problem.BadRequest("openapi_url was refused: %v", blocked)
	case errors.As(err, &tooLarge):
		return problem.New(http.StatusRequestEntityTooLarge, "the document at openapi_url is larger than %d MB", MaxImportBytes>>20)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, outbound.ErrTimeout):
		return problem.New(http.StatusGatewayTimeout, "the document at openapi_url did not arrive within %s", ImportFetchTimeout)
	}
	return &problem.Error{Status: http.StatusBadGateway, Title: "Fetch failed", Detail: strings.TrimPrefix(err.Error(), "fetch openapi document: "), Cause: err}
}

// importAuth reads an auth override: a connector auth object, or just its
// type ("bearer").
func importAuth(raw json.RawMessage) (connector.Auth, error) {
	var typ string
	if json.Unmarshal(raw, &typ) == nil {
		return connector.Auth{Type: typ}, nil
	}
	var auth connector.Auth
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&auth); err != nil {
		return connector.Auth{}, problem.BadRequest("auth must be an auth object like {\"type\": \"api_key\", \"location\": \"header\", \"key\": \"X-API-Key\"} or a type name: %v", err)
	}
	return auth, nil
}

// checkAuth validates an auth override with the definition's own rules
// and per-field errors. Import holds the actions to those rules already,
// so one action stands in for all: validating a thousand of them again
// would double the time of a large import.
func checkAuth(def *connector.Definition) error {
	probe := *def
	probe.Actions = def.Actions[:1]
	_, _, err := Encode(&probe)
	return err
}

func nothingImported(report *openapi.Report, in ImportInput) string {
	msg := "no operation of the document could be imported"
	if report != nil {
		if report.Operations == 0 {
			msg = "the document has no operations"
		} else if len(in.Tags) > 0 || len(in.PathPrefixes) > 0 || len(in.Operations) > 0 {
			msg = "none of the document's operations passes the tags, path_prefixes and operations filters, or each was skipped (see errors)"
		} else {
			msg = "every operation of the document was skipped (see errors)"
		}
	}
	return msg
}

func skippedFields(report *openapi.Report) []problem.FieldError {
	if report == nil {
		return nil
	}
	out := make([]problem.FieldError, 0, len(report.Skipped))
	for _, s := range report.Skipped {
		out = append(out, problem.FieldError{Field: s.Operation, Message: s.Reason})
	}
	return out
}
