package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/netguard"
	"github.com/plugboard/plugboard/internal/openapi"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// MaxImportBytes caps an OpenAPI document, fetched or sent inline. Large
// public descriptions (GitHub's is about 13 MB) fit under it.
const MaxImportBytes = openapi.DefaultMaxDocumentBytes

// ImportFetchTimeout bounds the download of a document by URL.
const ImportFetchTimeout = 30 * time.Second

// importInput is the body of POST /v1/integrations/import. OpenAPI is the
// document itself as JSON, or a string holding JSON or YAML.
type importInput struct {
	OpenAPIURL   string          `json:"openapi_url"`
	OpenAPI      json.RawMessage `json:"openapi"`
	Name         string          `json:"name"`
	Auth         json.RawMessage `json:"auth"`
	ServerURL    string          `json:"server_url"`
	ServerIndex  int             `json:"server_index"`
	Tags         []string        `json:"tags"`
	PathPrefixes []string        `json:"path_prefixes"`
	Operations   []string        `json:"operations"`
	MaxActions   int             `json:"max_actions"`
}

// importedView is an integration as created, with what the import did.
type importedView struct {
	integrationView
	Report *openapi.Report `json:"import_report"`
}

func (a *API) importIntegration(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxImportBytes+1<<20))
	if err != nil {
		a.fail(w, r, problem.BadRequest("read body: %v", err))
		return
	}
	if len(body) > MaxImportBytes+1<<20 {
		a.fail(w, r, problem.New(http.StatusRequestEntityTooLarge, "the request body exceeds %d MB; send the document's URL as openapi_url instead", MaxImportBytes>>20))
		return
	}
	var in importInput
	if err := decodeBytes(body, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	doc, err := a.importDocument(r.Context(), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	def, report, err := openapi.Import(r.Context(), doc, openapi.Options{
		Name: in.Name, ServerURL: in.ServerURL, ServerIndex: in.ServerIndex, Tags: in.Tags,
		PathPrefixes: in.PathPrefixes, Operations: in.Operations, MaxActions: in.MaxActions,
	})
	if errors.Is(err, openapi.ErrNoActions) {
		a.fail(w, r, &problem.Error{Status: http.StatusUnprocessableEntity, Title: "Nothing to import",
			Detail: nothingImported(report, in), Errors: skippedFields(report)})
		return
	}
	if err != nil {
		a.fail(w, r, problem.BadRequest("the document could not be imported: %v", strings.TrimPrefix(err.Error(), "import openapi: ")))
		return
	}
	if len(bytes.TrimSpace(in.Auth)) > 0 {
		if def.Auth, err = importAuth(in.Auth); err != nil {
			a.fail(w, r, err)
			return
		}
		if err := checkImportedAuth(def); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	integ, err := a.storeIntegration(r, p, def, store.KindConnector)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, importedView{integrationView: viewIntegration(integ, def, true), Report: report})
}

// importDocument returns the document's bytes: fetched through the SSRF
// guard, or taken from the body.
func (a *API) importDocument(ctx context.Context, in importInput) ([]byte, error) {
	inline := len(bytes.TrimSpace(in.OpenAPI)) > 0 && !bytes.Equal(bytes.TrimSpace(in.OpenAPI), []byte("null"))
	switch {
	case in.OpenAPIURL != "" && inline:
		return nil, problem.BadRequest("send either openapi_url or openapi, not both")
	case in.OpenAPIURL != "":
		ctx, cancel := context.WithTimeout(ctx, ImportFetchTimeout)
		defer cancel()
		doc, err := openapi.Fetch(ctx, a.ImportHTTP, in.OpenAPIURL, MaxImportBytes)
		if err != nil {
			return nil, fetchProblem(err)
		}
		return doc, nil
	case inline:
		var text string
		if json.Unmarshal(in.OpenAPI, &text) == nil {
			return []byte(text), nil // YAML or JSON sent as a string
		}
		return in.OpenAPI, nil
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
	if err := decodeBytes(raw, &auth); err != nil {
		return connector.Auth{}, problem.BadRequest("auth must be an auth object like {\"type\": \"api_key\", \"location\": \"header\", \"key\": \"X-API-Key\"} or a type name: %v", err)
	}
	return auth, nil
}

// checkImportedAuth validates an auth override with the API's own rules
// and per-field errors. Import holds the actions to those rules already,
// so one action stands in for all: validating a thousand of them again
// would double the time of a large import.
func checkImportedAuth(def *connector.Definition) error {
	probe := *def
	probe.Actions = def.Actions[:1]
	raw, err := json.Marshal(&probe)
	if err != nil {
		return err
	}
	_, err = parseDefinition(raw)
	return err
}

func nothingImported(report *openapi.Report, in importInput) string {
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
