package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/problem"
)

// integrationImport builds an integration from an uploaded OpenAPI file
// or one fetched by URL, then opens it in the connector so its actions can
// be reviewed.
func (wb *Web) integrationImport(w http.ResponseWriter, r *http.Request, v *visit) error {
	in := integration.ImportInput{
		URL: strings.TrimSpace(r.PostFormValue("openapi_url")), Name: strings.TrimSpace(r.PostFormValue("name")),
		ServerURL: strings.TrimSpace(r.PostFormValue("server_url")),
	}
	tooLarge := problem.New(http.StatusRequestEntityTooLarge, "the file is larger than %d MB; give the document's URL instead", integration.MaxImportBytes>>20)
	f, _, err := r.FormFile("file")
	if _, over := errors.AsType[*http.MaxBytesError](err); over {
		return tooLarge
	}
	if err == nil {
		defer f.Close()
		doc, err := io.ReadAll(io.LimitReader(f, integration.MaxImportBytes+1))
		if err != nil {
			return err
		}
		if len(doc) > integration.MaxImportBytes {
			return tooLarge
		}
		if len(doc) > 0 {
			in.Document, in.URL = json.RawMessage(doc), ""
		}
	}
	if in.URL == "" && len(in.Document) == 0 {
		wb.renderNewDetails(w, r, v, http.StatusUnprocessableEntity, detailsForm{AuthType: connector.AuthAPIKey}, map[string]string{"": "choose an OpenAPI file or give its URL"})
		return nil
	}
	t, report, err := wb.Integrations.Import(r.Context(), v.p, in)
	if msg, ok := refusal(err); ok {
		if report != nil && len(report.Skipped) > 0 && t == nil {
			msg += " — for example " + report.Skipped[0].Operation + ": " + report.Skipped[0].Reason
		}
		wb.renderNewDetails(w, r, v, http.StatusUnprocessableEntity, detailsForm{AuthType: connector.AuthAPIKey}, map[string]string{"": msg})
		return nil
	}
	if err != nil {
		return err
	}
	msg := "Imported " + itoa(report.Imported) + " of " + itoa(report.Operations) + " operations as actions."
	if n := len(report.Skipped); n > 0 {
		msg += " " + itoa(n) + " things were left out; the first: " + report.Skipped[0].Operation + " — " + report.Skipped[0].Reason
	}
	wb.redirect(w, r, "/integrations/"+t.Integration.ID+"/actions", msg)
	return nil
}
