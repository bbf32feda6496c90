package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/problem"
)

// loadIntegration loads the integration a URL names at its latest draft:
// for a page that shows it (perm access.Read), or for a form that edits it
// (access.Build: integrations defined in code are refused).
func (wb *Web) loadIntegration(r *http.Request, v *visit, perm access.Permission) (*integration.Target, error) {
	if perm == access.Build {
		return wb.Integrations.Draft(r.Context(), v.p, r.PathValue("id"))
	}
	return wb.Integrations.Get(r.Context(), v.p, r.PathValue("id"), executor.VersionLatest)
}

// saveDraft stores def as the integration's next version unless it is the
// same as the latest one, so submitting an unchanged form adds nothing. It
// reports whether a version was added, or the validation problems keyed by
// field path.
func (wb *Web) saveDraft(r *http.Request, v *visit, t *integration.Target, def *connector.Definition) (bool, map[string]string, error) {
	saved, changed, err := wb.Integrations.UpdateFrom(r.Context(), v.p, t.Integration.ID, def)
	if errs, ok := formErrors(err); ok {
		return false, errs, nil
	}
	if err != nil {
		return false, nil, err
	}
	*t = *saved
	return changed, nil, nil
}

// createIntegration stores a new integration within the plan's limit, or
// returns the validation problems keyed by field path.
func (wb *Web) createIntegration(r *http.Request, v *visit, def *connector.Definition) (*integration.Target, map[string]string, error) {
	t, err := wb.Integrations.CreateFrom(r.Context(), v.p, def)
	if errs, ok := formErrors(err); ok {
		return nil, errs, nil
	}
	if p, ok := problem.As(err); ok && p.Status == http.StatusConflict {
		return nil, map[string]string{"name": fmt.Sprintf("an integration named %q already exists; pick another name", def.Name)}, nil
	}
	return t, nil, err
}

// otherErrors lists the messages whose fields a form does not show, so
// the page can say them at the top.
func otherErrors(errs map[string]string, shown func(field string) bool) []string {
	var out []string
	for f, msg := range errs {
		if shown(f) {
			continue
		}
		if f == "" {
			out = append(out, msg)
		} else {
			out = append(out, f+": "+msg)
		}
	}
	return out
}

func summary(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return "Fix these and save again: " + strings.Join(list, " · ")
}
