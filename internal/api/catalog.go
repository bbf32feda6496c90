package api

import (
	"net/http"
	"strings"
)

// submitIntegration offers the deployed version of an integration to the
// public catalog: 201 when it waits for a reviewer, 422 with the security
// audit's findings when it needs changes first.
func (a *API) submitIntegration(w http.ResponseWriter, r *http.Request) {
	sub, accepted, err := a.Catalog.Submit(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	code := http.StatusCreated
	if !accepted {
		code = http.StatusUnprocessableEntity
	}
	writeJSON(w, code, sub)
}

func (a *API) listSubmissions(w http.ResponseWriter, r *http.Request) {
	subs, err := a.Catalog.Submissions(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"submissions": subs})
}

func (a *API) listReviews(w http.ResponseWriter, r *http.Request) {
	subs, err := a.Catalog.Reviews(r.Context(), principal(r), r.URL.Query().Get("status"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"submissions": subs})
}

func (a *API) reviewSubmission(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Note string `json:"note"`
		}
		if err := decodeOptional(r, &in); err != nil {
			a.fail(w, r, err)
			return
		}
		sub, err := a.Catalog.Review(r.Context(), principal(r), r.PathValue("id"), approve, in.Note)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, sub)
	}
}

func (a *API) listCatalog(w http.ResponseWriter, r *http.Request) {
	entries, err := a.Catalog.List(r.Context(), principal(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"integrations": entries})
}

func (a *API) getCatalogEntry(w http.ResponseWriter, r *http.Request) {
	e, err := a.Catalog.Get(r.Context(), principal(r), r.PathValue("slug"))
	if err != nil {
		a.fail(w, r, err)
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
// organization as a new private integration.
func (a *API) installCatalogEntry(w http.ResponseWriter, r *http.Request) {
	t, err := a.Catalog.Install(r.Context(), principal(r), r.PathValue("slug"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a.view(r.Context(), principal(r), t, true))
}
