package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// NewAPIKey makes a key to show once and its hash to store.
func NewAPIKey() (key, prefix, hash string) {
	key = vault.NewToken("pb_", 24)
	return key, key[:10], vault.HashToken(key)
}

func (a *API) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	limits, _ := plan.Get(p.Org.Plan)
	writeJSON(w, http.StatusOK, map[string]any{"user": p.User, "org": p.Org, "plan": limits})
}

func (a *API) createKey(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if strings.TrimSpace(in.Name) == "" {
		a.fail(w, r, problem.Invalid("name is required", []problem.FieldError{{Field: "name", Message: "give the key a name, e.g. \"ci\""}}))
		return
	}
	key, prefix, hash := NewAPIKey()
	k, err := a.Store.CreateAPIKey(r.Context(), p.User, in.Name, prefix, hash)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "name": k.Name, "key": key, "prefix": prefix, "created_at": k.CreatedAt})
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	keys, err := a.Store.ListAPIKeys(r.Context(), p.Org.ID, p.User.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if keys == nil {
		keys = []store.APIKey{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func (a *API) revokeKey(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if err := a.Store.RevokeAPIKey(r.Context(), p.Org.ID, p.User.ID, r.PathValue("id")); err != nil {
		a.fail(w, r, orNotFound(err, "API key", r.PathValue("id")))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// createUser adds a member with a role and returns their first API key.
func (a *API) createUser(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in struct {
		Email string `json:"email"`
		Name  string `json:"name"`
		Role  string `json:"role"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	var errs []problem.FieldError
	if !strings.Contains(in.Email, "@") {
		errs = append(errs, problem.FieldError{Field: "email", Message: "must be an email address"})
	}
	if _, ok := rank[in.Role]; !ok {
		errs = append(errs, problem.FieldError{Field: "role", Message: "must be owner, admin, developer or viewer"})
	} else if rank[in.Role] > rank[p.User.Role] {
		errs = append(errs, problem.FieldError{Field: "role", Message: "you cannot grant a role above your own"})
	}
	if len(errs) > 0 {
		a.fail(w, r, problem.Invalid("the user is not valid", errs))
		return
	}
	u, err := a.Store.CreateUser(r.Context(), store.User{OrgID: p.Org.ID, Email: in.Email, Name: in.Name, Role: in.Role})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	key, prefix, hash := NewAPIKey()
	if _, err := a.Store.CreateAPIKey(r.Context(), u, "default", prefix, hash); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": u, "key": key})
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	users, err := a.Store.ListUsers(r.Context(), p.Org.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

// createOrg lets a platform administrator open another organization with
// its owner; the owner's key is shown once.
func (a *API) createOrg(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name       string `json:"name"`
		Plan       string `json:"plan"`
		OwnerEmail string `json:"owner_email"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if in.Plan == "" {
		in.Plan = "free"
	}
	var errs []problem.FieldError
	if strings.TrimSpace(in.Name) == "" {
		errs = append(errs, problem.FieldError{Field: "name", Message: "is required"})
	}
	if _, err := plan.Get(in.Plan); err != nil {
		errs = append(errs, problem.FieldError{Field: "plan", Message: err.Error()})
	}
	if !strings.Contains(in.OwnerEmail, "@") {
		errs = append(errs, problem.FieldError{Field: "owner_email", Message: "must be an email address"})
	}
	if len(errs) > 0 {
		a.fail(w, r, problem.Invalid("the organization is not valid", errs))
		return
	}
	key, prefix, hash := NewAPIKey()
	org, owner, err := a.Store.CreateOrg(r.Context(), store.Org{Name: in.Name, Plan: in.Plan}, store.User{Email: in.OwnerEmail, Role: store.RoleOwner}, "owner", prefix, hash)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"org": org, "owner": owner, "key": key})
}

// updateOrg changes the plan (platform administrators) or the name and
// white-label branding (owners; branding needs a plan that allows it).
func (a *API) updateOrg(w http.ResponseWriter, r *http.Request) {
	var in OrgChanges
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	org, err := a.UpdateOrg(r.Context(), principal(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, org)
}

// OrgChanges are the organization settings a caller may change; nil
// fields stay as they are.
type OrgChanges struct {
	Name        *string `json:"name"`
	Plan        *string `json:"plan"`
	ProductName *string `json:"product_name"`
	LogoURL     *string `json:"logo_url"`
}

// UpdateOrg applies changes for p: the plan needs a platform
// administrator; the name and the white-label branding need an owner, and
// branding needs a plan that allows it. PATCH /v1/org and the dashboard's
// settings both use it.
func (a *API) UpdateOrg(ctx context.Context, p store.Principal, in OrgChanges) (store.Org, error) {
	org := p.Org
	if in.Plan != nil {
		if err := authorize(p, permPlatform); err != nil {
			return store.Org{}, err
		}
		if _, err := plan.Get(*in.Plan); err != nil {
			return store.Org{}, problem.Invalid(err.Error(), []problem.FieldError{{Field: "plan", Message: err.Error()}})
		}
		org.Plan = *in.Plan
	}
	if in.Name != nil || in.ProductName != nil || in.LogoURL != nil {
		if err := authorize(p, permOwnOrg); err != nil {
			return store.Org{}, err
		}
	}
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			return store.Org{}, problem.Invalid("the organization needs a name", []problem.FieldError{{Field: "name", Message: "is required"}})
		}
		org.Name = strings.TrimSpace(*in.Name)
	}
	if in.ProductName != nil || in.LogoURL != nil {
		if limits, _ := plan.Get(org.Plan); !limits.WhiteLabel {
			return store.Org{}, problem.Forbidden("white-label branding needs the agency plan; this organization is on %s", org.Plan)
		}
		if in.ProductName != nil {
			org.ProductName = strings.TrimSpace(*in.ProductName)
		}
		if in.LogoURL != nil {
			logo := strings.TrimSpace(*in.LogoURL)
			if u, err := url.Parse(logo); logo != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
				return store.Org{}, problem.Invalid("logo_url must be an absolute http(s) URL", []problem.FieldError{{Field: "logo_url", Message: "must be an absolute http(s) URL of an image"}})
			}
			org.LogoURL = logo
		}
	}
	if err := a.Store.UpdateOrg(ctx, org); err != nil {
		return store.Org{}, err
	}
	return org, nil
}
