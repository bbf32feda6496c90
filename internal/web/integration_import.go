package web

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/openapi"
)

// integrationImport builds an integration from an uploaded OpenAPI file
// or one fetched by URL through the outbound guard, then opens it in the
// connector so its actions can be reviewed.
func (wb *Web) integrationImport(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := v.may(api.PermBuild); err != nil {
		return err
	}
	doc, err := importDocument(r, wb)
	if err != nil {
		wb.renderNewDetails(w, r, v, http.StatusUnprocessableEntity, detailsForm{AuthType: connector.AuthAPIKey}, map[string]string{"": err.Error()})
		return nil
	}
	def, report, err := openapi.Import(r.Context(), doc, openapi.Options{
		Name: strings.TrimSpace(r.PostFormValue("name")), ServerURL: strings.TrimSpace(r.PostFormValue("server_url")),
	})
	if err != nil {
		msg := err.Error()
		if errors.Is(err, openapi.ErrNoActions) && report != nil && len(report.Skipped) > 0 {
			msg += " — for example " + report.Skipped[0].Operation + ": " + report.Skipped[0].Reason
		}
		wb.renderNewDetails(w, r, v, http.StatusUnprocessableEntity, detailsForm{AuthType: connector.AuthAPIKey}, map[string]string{"": msg})
		return nil
	}
	in, errs, err := wb.createIntegration(r.Context(), v, def)
	if err != nil {
		return err
	}
	if errs != nil {
		wb.renderNewDetails(w, r, v, http.StatusUnprocessableEntity, detailsOf(def), errs)
		return nil
	}
	msg := "Imported " + itoa(report.Imported) + " of " + itoa(report.Operations) + " operations as actions."
	if n := len(report.Skipped); n > 0 {
		msg += " " + itoa(n) + " things were left out; the first: " + report.Skipped[0].Operation + " — " + report.Skipped[0].Reason
	}
	wb.redirect(w, r, "/integrations/"+in.ID+"/actions", msg)
	return nil
}

func importDocument(r *http.Request, wb *Web) ([]byte, error) {
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		doc, err := io.ReadAll(io.LimitReader(f, maxFormBytes))
		if err != nil {
			return nil, err
		}
		if len(doc) > 0 {
			return doc, nil
		}
	}
	u := strings.TrimSpace(r.PostFormValue("openapi_url"))
	if u == "" {
		return nil, errors.New("choose an OpenAPI file or give its URL")
	}
	if wb.Outbound == nil {
		return nil, errors.New("fetching by URL is not available on this server; upload the file instead")
	}
	return openapi.Fetch(r.Context(), wb.Outbound.HTTPClient(), u, 0)
}
