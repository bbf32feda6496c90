package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// loadIntegration loads an integration's latest draft for a member who
// may do perm.
func (wb *Web) loadIntegration(r *http.Request, v *visit, perm string) (*executor.Target, error) {
	if err := v.may(perm); err != nil {
		return nil, err
	}
	t, err := wb.Executor.Load(r.Context(), v.p.Org.ID, r.PathValue("id"), connector.Sandbox, executor.VersionLatest)
	if err != nil {
		return nil, err
	}
	if ok, err := api.CanUseIntegration(r.Context(), wb.Store, v.p, t.Integration.ID); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, problem.NotFound("integration %q not found in this organization", r.PathValue("id"))
	}
	if t.Integration.Kind == store.KindCode && perm == api.PermBuild {
		return nil, problem.Conflict("integration %q is defined in code; change it in its Go worker", t.Integration.Name)
	}
	return t, nil
}

// canonical parses def the way the API does and returns the stored form,
// or the validation problems keyed by field path.
func canonical(def *connector.Definition) ([]byte, *connector.Definition, map[string]string, error) {
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("encode definition: %w", err)
	}
	return canonicalJSON(raw)
}

func canonicalJSON(raw []byte) ([]byte, *connector.Definition, map[string]string, error) {
	parsed, err := connector.Parse(raw)
	if err != nil {
		if errs, ok := fieldErrors(err); ok {
			return nil, nil, errs, nil
		}
		return nil, nil, map[string]string{"": err.Error()}, nil
	}
	out, err := json.Marshal(parsed)
	if err != nil {
		return nil, nil, nil, err
	}
	return out, parsed, nil, nil
}

// fieldErrors turns a connector validation error into messages keyed by
// field path; several problems with one field are joined.
func fieldErrors(err error) (map[string]string, bool) {
	var ve *connector.ValidationError
	if !errors.As(err, &ve) {
		return nil, false
	}
	out := make(map[string]string, len(ve.Errors))
	for _, fe := range ve.Errors {
		if prev := out[fe.Field]; prev != "" {
			out[fe.Field] = prev + "; " + fe.Message
		} else {
			out[fe.Field] = fe.Message
		}
	}
	return out, true
}

// saveDraft stores def as the integration's next version unless it is
// the same as the latest one, so submitting an unchanged form adds
// nothing. It reports whether a version was added.
func (wb *Web) saveDraft(ctx context.Context, v *visit, t *executor.Target, def *connector.Definition) (bool, map[string]string, error) {
	next, parsed, errs, err := canonical(def)
	if err != nil || errs != nil {
		return false, errs, err
	}
	return wb.storeCanonical(ctx, v, t, next, parsed)
}

func (wb *Web) storeCanonical(ctx context.Context, v *visit, t *executor.Target, next []byte, parsed *connector.Definition) (bool, map[string]string, error) {
	cur, err := json.Marshal(t.Definition)
	if err != nil {
		return false, nil, err
	}
	if bytes.Equal(cur, next) {
		return false, nil, nil
	}
	in, err := wb.Store.AddVersion(ctx, v.p.Org.ID, t.Integration.ID, parsed.Name, next, v.p.User.ID)
	if err != nil {
		return false, nil, err
	}
	t.Integration, t.Definition, t.Version = in, parsed, in.LatestVersion
	return true, nil, nil
}

// createIntegration stores a new integration within the plan's limit.
func (wb *Web) createIntegration(ctx context.Context, v *visit, def *connector.Definition) (store.Integration, map[string]string, error) {
	raw, parsed, errs, err := canonical(def)
	if err != nil || errs != nil {
		return store.Integration{}, errs, err
	}
	n, err := wb.Store.CountIntegrations(ctx, v.p.Org.ID)
	if err != nil {
		return store.Integration{}, nil, err
	}
	if err := plan.CheckIntegrations(v.p.Org.Plan, n); err != nil {
		return store.Integration{}, nil, problem.Forbidden("%v", err)
	}
	slug := connector.Slug(parsed.Name)
	in, err := wb.Store.CreateIntegration(ctx, store.Integration{OrgID: v.p.Org.ID, Slug: slug, Name: parsed.Name, Kind: store.KindConnector, CreatedBy: v.p.User.ID}, raw)
	if errors.Is(err, store.ErrConflict) {
		return store.Integration{}, map[string]string{"name": fmt.Sprintf("an integration named %q (slug %q) already exists; pick another name", parsed.Name, slug)}, nil
	}
	return in, nil, err
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
