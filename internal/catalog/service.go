package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Audit trail actions.
const (
	ActionSubmit  = "catalog.submit"
	ActionApprove = "catalog.approve"
	ActionReject  = "catalog.reject"
	ActionInstall = "catalog.install"
)

// Deps are what the operations need; every field is required but Resolver
// and Logger.
type Deps struct {
	Store        *store.Store
	Rules        *access.Rules
	Loader       *executor.Executor
	Integrations *integration.Service // installs become integrations
	// Resolver looks up hosts for the security audit; nil uses the
	// system resolver.
	Resolver Resolver
	Logger   *slog.Logger
}

// Service runs the catalog operations. It is safe for concurrent use.
type Service struct {
	Deps
}

// New returns the service.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{Deps: d}
}

// Submit offers the deployed version of an integration to the public
// catalog. The automated security audit runs first; a submission with
// blocking findings is recorded as changes_requested (accepted reports
// false), otherwise it waits for a platform reviewer.
func (s *Service) Submit(ctx context.Context, p access.Principal, ref string) (sub store.Submission, accepted bool, err error) {
	if err := p.May(access.Build); err != nil {
		return sub, false, err
	}
	in, err := s.Rules.Integration(ctx, p, ref)
	if err != nil {
		return sub, false, err
	}
	t, err := s.Loader.Load(ctx, p.Org.ID, in.ID, connector.Production, executor.VersionDeployed)
	if err != nil {
		return sub, false, err
	}
	if t.Integration.Kind != store.KindConnector {
		return sub, false, problem.Conflict("only integrations defined in JSON can be published; %q is defined in code", t.Integration.Name)
	}
	findings := Audit(ctx, t.Definition, s.Resolver)
	status := store.SubmissionPending
	if Blocking(findings) {
		status = store.SubmissionChangesRequested
	}
	def, _ := json.Marshal(t.Definition)
	fj, _ := json.Marshal(findings)
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		sub, err = tx.CreateSubmission(ctx, store.Submission{
			OrgID: p.Org.ID, IntegrationID: t.Integration.ID, Version: t.Version, Slug: t.Integration.Slug, Name: t.Integration.Name,
			Definition: def, Status: status, Findings: fj, SubmittedBy: p.User.ID,
		})
		if err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionSubmit, "integration", t.Integration.ID, map[string]any{"submission": sub.ID, "version": t.Version, "status": status}))
		return err
	})
	return sub, status == store.SubmissionPending, err
}

// Submissions lists an integration's submissions.
func (s *Service) Submissions(ctx context.Context, p access.Principal, ref string) ([]store.Submission, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	in, err := s.Rules.Integration(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	return s.Store.ListSubmissions(ctx, p.Org.ID, in.ID, "")
}

// Reviews lists submissions of every organization in status (pending by
// default; "all" for every status), for platform reviewers.
func (s *Service) Reviews(ctx context.Context, p access.Principal, status string) ([]store.Submission, error) {
	if err := p.May(access.Platform); err != nil {
		return nil, err
	}
	switch status {
	case "":
		status = store.SubmissionPending
	case "all":
		status = ""
	}
	return s.Store.ListSubmissions(ctx, "", "", status)
}

// Review approves (publishing the entry) or rejects, with a note saying
// why, a submission waiting for review.
func (s *Service) Review(ctx context.Context, p access.Principal, id string, approve bool, note string) (store.Submission, error) {
	if err := p.May(access.Platform); err != nil {
		return store.Submission{}, err
	}
	sub, err := s.Store.GetSubmission(ctx, "", id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Submission{}, access.NotFound("submission", id)
	}
	if err != nil {
		return store.Submission{}, err
	}
	if sub.Status != store.SubmissionPending {
		return store.Submission{}, problem.Conflict("submission %s is %s, not waiting for review", sub.ID, sub.Status)
	}
	status, action, entry := store.SubmissionRejected, ActionReject, (*store.CatalogEntry)(nil)
	if approve {
		status, action = store.SubmissionApproved, ActionApprove
		if entry, err = s.entry(ctx, sub); err != nil {
			return store.Submission{}, err
		}
	} else if strings.TrimSpace(note) == "" {
		return store.Submission{}, problem.Invalid("say why the submission is rejected", []problem.FieldError{{Field: "note", Message: "is required when rejecting"}})
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if sub, err = tx.ReviewSubmission(ctx, sub.ID, p.User.ID, status, note, entry); err != nil {
			return err
		}
		// The decision is the submitter's organization's business: it
		// lands in their trail, naming the reviewer.
		e := p.Audit(action, "integration", sub.IntegrationID, map[string]any{"submission": sub.ID, "note": note, "reviewer_org": p.Org.ID})
		e.OrgID = sub.OrgID
		_, err = tx.AppendAudit(ctx, e)
		return err
	})
	return sub, err
}

// entry builds the published entry for an approved submission. A slug
// already published by another organization gets the publisher's name
// appended.
func (s *Service) entry(ctx context.Context, sub store.Submission) (*store.CatalogEntry, error) {
	def, err := connector.Parse(sub.Definition)
	if err != nil {
		return nil, err
	}
	org, err := s.Store.GetOrg(ctx, sub.OrgID)
	if err != nil {
		return nil, err
	}
	slug := sub.Slug
	if existing, err := s.Store.GetCatalogEntry(ctx, slug); err == nil && existing.PublisherOrg != sub.OrgID {
		slug = connector.Slug(sub.Slug + " " + org.Name)
	}
	return &store.CatalogEntry{
		Slug: slug, PublisherOrg: sub.OrgID, PublisherName: org.Name, Name: def.Name, Description: def.Description,
		Definition: sub.Definition, Docs: Docs(slug, def), Version: sub.Version,
	}, nil
}

// List lists the published entries.
func (s *Service) List(ctx context.Context, p access.Principal) ([]store.CatalogEntry, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	return s.Store.ListCatalog(ctx)
}

// Get loads one published entry.
func (s *Service) Get(ctx context.Context, p access.Principal, slug string) (store.CatalogEntry, error) {
	if err := p.May(access.Read); err != nil {
		return store.CatalogEntry{}, err
	}
	e, err := s.Store.GetCatalogEntry(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return e, problem.NotFound("no catalog entry %q", slug)
	}
	return e, err
}

// Install copies a published definition into p's organization as a new
// private integration, within the plan's limit, like any other new
// integration.
func (s *Service) Install(ctx context.Context, p access.Principal, slug string) (*integration.Target, error) {
	if err := p.May(access.Build); err != nil {
		return nil, err
	}
	e, err := s.Get(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	t, err := s.Integrations.Create(ctx, p, e.Definition)
	if pe, ok := problem.As(err); ok && pe.Status == http.StatusConflict {
		return nil, problem.Conflict("this organization already has an integration named %q", e.Name)
	}
	if err != nil {
		return nil, err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CountInstall(ctx, e.Slug); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionInstall, "integration", t.Integration.ID, map[string]any{"catalog": e.Slug, "version": e.Version}))
		return err
	})
	if err != nil {
		s.Logger.WarnContext(ctx, "count catalog install", "slug", e.Slug, "error", err)
	}
	return t, nil
}
