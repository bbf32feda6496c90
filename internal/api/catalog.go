package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// submitIntegration offers the deployed version of an integration to the
// public catalog. The automated security audit runs first; a submission
// with blocking findings is recorded as changes_requested and answered 422
// with the findings, otherwise it waits for a platform reviewer.
func (a *API) submitIntegration(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	t, err := a.Executor.Load(r.Context(), p.Org.ID, r.PathValue("id"), connector.Production, -1)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if t.Integration.Kind != store.KindConnector {
		a.fail(w, r, problem.Conflict("only integrations defined in JSON can be published; %q is defined in code", t.Integration.Name))
		return
	}
	findings := catalog.Audit(r.Context(), t.Definition, a.Resolver)
	status := store.SubmissionPending
	if catalog.Blocking(findings) {
		status = store.SubmissionChangesRequested
	}
	def, _ := json.Marshal(t.Definition)
	fj, _ := json.Marshal(findings)
	sub, err := a.Store.CreateSubmission(r.Context(), store.Submission{
		OrgID: p.Org.ID, IntegrationID: t.Integration.ID, Version: t.Version, Slug: t.Integration.Slug, Name: t.Integration.Name,
		Definition: def, Status: status, Findings: fj, SubmittedBy: p.User.ID,
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	code := http.StatusCreated
	if status == store.SubmissionChangesRequested {
		code = http.StatusUnprocessableEntity
	}
	writeJSON(w, code, sub)
}

func (a *API) listSubmissions(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	in, err := a.Store.GetIntegration(r.Context(), p.Org.ID, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, orNotFound(err, "integration", r.PathValue("id")))
		return
	}
	subs, err := a.Store.ListSubmissions(r.Context(), p.Org.ID, in.ID, "")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"submissions": subs})
}

func (a *API) listReviews(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = store.SubmissionPending
	}
	if status == "all" {
		status = ""
	}
	subs, err := a.Store.ListSubmissions(r.Context(), "", "", status)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"submissions": subs})
}

func (a *API) reviewSubmission(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principal(r)
		if err := authorize(p, permPlatform); err != nil {
			a.fail(w, r, err)
			return
		}
		var in struct {
			Note string `json:"note"`
		}
		if r.ContentLength != 0 {
			if err := decode(r, &in); err != nil {
				a.fail(w, r, err)
				return
			}
		}
		sub, err := a.Store.GetSubmission(r.Context(), "", r.PathValue("id"))
		if err != nil {
			a.fail(w, r, orNotFound(err, "submission", r.PathValue("id")))
			return
		}
		if sub.Status != store.SubmissionPending {
			a.fail(w, r, problem.Conflict("submission %s is %s, not waiting for review", sub.ID, sub.Status))
			return
		}
		status, entry := store.SubmissionRejected, (*store.CatalogEntry)(nil)
		if approve {
			status = store.SubmissionApproved
			if entry, err = a.catalogEntry(r, sub); err != nil {
				a.fail(w, r, err)
				return
			}
		} else if strings.TrimSpace(in.Note) == "" {
			a.fail(w, r, problem.Invalid("say why the submission is rejected", []problem.FieldError{{Field: "note", Message: "is required when rejecting"}}))
			return
		}
		sub, err = a.Store.ReviewSubmission(r.Context(), sub.ID, p.User.ID, status, in.Note, entry)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, sub)
	}
}

// catalogEntry builds the published entry for an approved submission. A
// slug already published by another organization gets the publisher's
// name appended.
func (a *API) catalogEntry(r *http.Request, sub store.Submission) (*store.CatalogEntry, error) {
	def, err := connector.Parse(sub.Definition)
	if err != nil {
		return nil, err
	}
	org, err := a.Store.GetOrg(r.Context(), sub.OrgID)
	if err != nil {
		return nil, err
	}
	slug := sub.Slug
	if existing, err := a.Store.GetCatalogEntry(r.Context(), slug); err == nil && existing.PublisherOrg != sub.OrgID {
		slug = connector.Slug(sub.Slug + " " + org.Name)
	}
	return &store.CatalogEntry{
		Slug: slug, PublisherOrg: sub.OrgID, PublisherName: org.Name, Name: def.Name, Description: def.Description,
		Definition: sub.Definition, Docs: catalog.Docs(slug, def), Version: sub.Version,
	}, nil
}

func (a *API) listCatalog(w http.ResponseWriter, r *http.Request) {
	entries, err := a.Store.ListCatalog(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"integrations": entries})
}

func (a *API) getCatalogEntry(w http.ResponseWriter, r *http.Request) {
	e, err := a.Store.GetCatalogEntry(r.Context(), r.PathValue("slug"))
	if err != nil {
		a.fail(w, r, orNotFound(err, "catalog entry", r.PathValue("slug")))
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "text/markdown") {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		_, _ = w.Write([]byte(e.Docs))
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// installCatalogEntry copies a published definition into the caller's
// organization as a new private integration (within the plan's limit).
func (a *API) installCatalogEntry(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	e, err := a.Store.GetCatalogEntry(r.Context(), r.PathValue("slug"))
	if err != nil {
		a.fail(w, r, orNotFound(err, "catalog entry", r.PathValue("slug")))
		return
	}
	def, err := connector.Parse(e.Definition)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	in, err := a.storeIntegration(r, p, def, store.KindConnector)
	if errors.Is(err, store.ErrConflict) {
		a.fail(w, r, problem.Conflict("this organization already has an integration named %q", def.Name))
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.Store.CountInstall(r.Context(), e.Slug); err != nil {
		a.Logger.WarnContext(r.Context(), "count catalog install", "slug", e.Slug, "error", err)
	}
	writeJSON(w, http.StatusCreated, viewIntegration(in, def, true))
}
