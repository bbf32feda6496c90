// Package integration is the application layer of integrations: creating
// them from a definition or an OpenAPI document, editing drafts, deploying
// versions, restricting them to teams and reading them. Every surface (the
// REST API, the dashboard, the CLI through the API) calls these
// operations, so the rules hold the same everywhere: the caller's role,
// team restrictions (an integration a member may not use is not found),
// the plan's limit, definitions validated with one message per field, no
// new version for an unchanged definition, and an audit trail entry
// written in the transaction of each change.
package integration

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/plan"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Audit trail actions.
const (
	ActionCreate   = "integration.create"
	ActionImport   = "integration.import"
	ActionUpdate   = "integration.update"
	ActionDelete   = "integration.delete"
	ActionDeploy   = "integration.deploy"
	ActionRestrict = "integration.restrict"
)

// ToolWatcher hears that the tools an organization's agents see may have
// changed (a deploy, a deletion, a new team restriction).
type ToolWatcher interface {
	ToolsChanged(ctx context.Context, orgID string)
}

// Deps are what the operations need; every field is required but Logger.
type Deps struct {
	Store *store.Store
	Rules *access.Rules
	// Loader loads versions through the executor's cache of parsed
	// definitions, which the run path shares.
	Loader *executor.Executor
	Tools  ToolWatcher
	// Fetch downloads OpenAPI documents by URL, through the SSRF guard.
	Fetch  *http.Client
	Logger *slog.Logger
}

// Service runs the integration operations. It is safe for concurrent use.
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

// Target is an integration loaded at one version: its head, the version
// number and the parsed definition.
type Target = executor.Target

// visible loads the integration ref for p when p may do perm and may use
// it.
func (s *Service) visible(ctx context.Context, p access.Principal, perm access.Permission, ref string) (store.Integration, error) {
	if err := p.May(perm); err != nil {
		return store.Integration{}, err
	}
	return s.Rules.Integration(ctx, p, ref)
}

// load is visible plus the definition at version (a number or an
// executor.Version* selector).
func (s *Service) load(ctx context.Context, p access.Principal, perm access.Permission, ref string, version int) (*Target, error) {
	in, err := s.visible(ctx, p, perm, ref)
	if err != nil {
		return nil, err
	}
	return s.Loader.Load(ctx, p.Org.ID, in.ID, connector.Sandbox, version)
}

// Parse checks a definition and returns it in canonical form, or a 400
// problem listing each bad field ("actions[1].endpoint: …").
func Parse(raw []byte) (*connector.Definition, []byte, error) {
	def, err := connector.Parse(raw)
	if err != nil {
		return nil, nil, invalid(err)
	}
	canonical, err := json.Marshal(def)
	if err != nil {
		return nil, nil, err
	}
	return def, canonical, nil
}

// Encode is Parse for a definition built in memory (the dashboard's
// forms): it goes through the same checks as JSON sent to the API.
func Encode(def *connector.Definition) (*connector.Definition, []byte, error) {
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, nil, err
	}
	return Parse(raw)
}

func invalid(err error) error {
	var ve *connector.ValidationError
	if errors.As(err, &ve) {
		fields := make([]problem.FieldError, 0, len(ve.Errors))
		for _, fe := range ve.Errors {
			fields = append(fields, problem.FieldError{Field: fe.Field, Message: fe.Message})
		}
		return problem.Invalid("the integration definition is not valid: "+ve.Error(), fields)
	}
	return problem.BadRequest("the integration definition is not valid: %v", err)
}

// withinPlan refuses a new integration past the organization's plan limit.
func withinPlan(org store.Org, have int) error {
	if err := plan.CheckIntegrations(org.Plan, have); err != nil {
		return &problem.Error{Status: http.StatusForbidden, Title: "Plan limit reached", Detail: err.Error()}
	}
	return nil
}
