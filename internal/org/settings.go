package org

import (
	"context"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/naming"
	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Changes are the organization settings a caller may change; nil fields
// stay as they are.
type Changes struct {
	Name        *string `json:"name"`
	Plan        *string `json:"plan"`
	ProductName *string `json:"product_name"`
	LogoURL     *string `json:"logo_url"`
}

// Update applies changes for p: the plan needs a platform administrator;
// the name and the white-label branding need an owner, and branding needs
// a plan that allows it.
func (s *Service) Update(ctx context.Context, p access.Principal, in Changes) (store.Org, error) {
	org := p.Org
	changed := map[string]any{}
	if in.Plan != nil {
		if err := p.May(access.Platform); err != nil {
			return store.Org{}, err
		}
		if _, err := plan.Get(*in.Plan); err != nil {
			return store.Org{}, problem.Invalid(err.Error(), []problem.FieldError{{Field: "plan", Message: err.Error()}})
		}
		org.Plan = *in.Plan
		changed["plan"] = org.Plan
	}
	if in.Name != nil || in.ProductName != nil || in.LogoURL != nil {
		if err := p.May(access.OwnOrg); err != nil {
			return store.Org{}, err
		}
	}
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			return store.Org{}, problem.Invalid("the organization needs a name", []problem.FieldError{{Field: "name", Message: "is required"}})
		}
		var err error
		if org.Name, err = naming.Field("name", naming.Name, *in.Name); err != nil {
			return store.Org{}, err
		}
		changed["name"] = org.Name
	}
	if in.ProductName != nil || in.LogoURL != nil {
		if limits, _ := plan.Get(org.Plan); !limits.WhiteLabel {
			return store.Org{}, problem.Forbidden("white-label branding needs the agency plan; this organization is on %s", org.Plan)
		}
		if in.ProductName != nil {
			var err error
			if org.ProductName, err = naming.Field("product_name", naming.Optional(naming.Name), *in.ProductName); err != nil {
				return store.Org{}, err
			}
			changed["product_name"] = org.ProductName
		}
		if in.LogoURL != nil {
			logo := strings.TrimSpace(*in.LogoURL)
			if u, err := url.Parse(logo); logo != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
				return store.Org{}, problem.Invalid("logo_url must be an absolute http(s) URL", []problem.FieldError{{Field: "logo_url", Message: "must be an absolute http(s) URL of an image"}})
			}
			org.LogoURL = logo
			changed["logo_url"] = org.LogoURL
		}
	}
	if len(changed) == 0 {
		return org, nil
	}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateOrg(ctx, org); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionUpdate, "org", org.ID, changed))
		return err
	})
	if err != nil {
		return store.Org{}, err
	}
	return org, nil
}

// NewOrg is an organization a platform administrator opens.
type NewOrg struct {
	Name       string `json:"name"`
	Plan       string `json:"plan"`
	OwnerEmail string `json:"owner_email"`
}

// Opened is a new organization with its owner and the owner's API key,
// shown once.
type Opened struct {
	Org   store.Org  `json:"org"`
	Owner store.User `json:"owner"`
	Key   string     `json:"key"`
}

// Create opens another organization with its owner. The change is recorded
// in the new organization's audit trail, naming the administrator.
func (s *Service) Create(ctx context.Context, p access.Principal, in NewOrg) (*Opened, error) {
	if err := p.May(access.Platform); err != nil {
		return nil, err
	}
	if in.Plan == "" {
		in.Plan = "free"
	}
	var errs []problem.FieldError
	var err error
	if in.Name, err = naming.Name(in.Name); err != nil {
		errs = append(errs, problem.FieldError{Field: "name", Message: err.Error()})
	}
	if _, err := plan.Get(in.Plan); err != nil {
		errs = append(errs, problem.FieldError{Field: "plan", Message: err.Error()})
	}
	if in.OwnerEmail, err = naming.Email(in.OwnerEmail); err != nil {
		errs = append(errs, problem.FieldError{Field: "owner_email", Message: err.Error()})
	}
	if len(errs) > 0 {
		return nil, problem.Invalid("the organization is not valid", errs)
	}
	key, prefix, hash := NewAPIKey()
	out := &Opened{Key: key}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out.Org, out.Owner, err = tx.CreateOrg(ctx, store.Org{Name: in.Name, Plan: in.Plan}, store.User{Email: in.OwnerEmail, Role: store.RoleOwner}, "owner", prefix, hash)
		if err != nil {
			return err
		}
		entry := p.Audit(ActionCreate, "org", out.Org.ID, map[string]any{"name": out.Org.Name, "plan": out.Org.Plan, "owner": out.Owner.ID, "by_org": p.Org.ID})
		entry.OrgID = out.Org.ID
		_, err = tx.AppendAudit(ctx, entry)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
