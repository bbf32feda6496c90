// Package action is the one door through which every surface calls an
// integration's API: the REST API's /run, /test and /proxy, the
// dashboard's test step, agents' MCP tool calls, webhook trigger runs and
// SDK workers' HTTP requests. Each call is made for a principal, which
// decides everything the executor does not: whether the caller may run
// actions at all, whether it may use the integration (team restrictions,
// checked again on every call, so a later restriction stops triggers and
// agents as it stops members), whose personal connection is preferred,
// what the call log names as its source and actor, and under which scope
// idempotency keys replay.
package action

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/approval"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/idempotency"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/worker"
)

// Deps are what the calls need; every field is required but Logger.
type Deps struct {
	Rules       *access.Rules
	Executor    *executor.Executor
	Idempotency *idempotency.Runner
	Workers     *worker.Service // invocations whose HTTP requests workers relay
	Store       *store.Store    // results stored for their callers
	Approvals   *approval.Service
	// PublicURL prefixes the sign-in links of personal connections.
	PublicURL string
	Logger    *slog.Logger
}

// Service makes calls. It is safe for concurrent use.
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

// Input is one action call.
type Input struct {
	Integration string // id or slug
	Action      string // key or name
	Environment string // sandbox (default) or production
	Params      map[string]any
	// Version is a version number or an executor.Version* selector.
	Version int
	// IdempotencyKey makes a retry safe: members' and agents' repeats
	// within 24 hours replay the first result; a trigger run's key is sent
	// to the API.
	IdempotencyKey string
	// Source labels the call log entry; it defaults to the principal's
	// surface.
	Source executor.Source
	// Select (a jq expression) replaces the action's response selection;
	// MaxBytes is the caller's budget for the result returned inline,
	// DefaultBytes the budget when neither the caller nor the action sets
	// one. A larger result is stored for the principal to read in parts
	// (ReadResult).
	Select       string
	MaxBytes     int
	DefaultBytes int
	// Pages says how much of a paginated list to gather.
	Pages executor.Pages
}

// Run calls an action for p. replayed reports that the result is the one
// stored for an earlier call with the same idempotency key.
func (s *Service) Run(ctx context.Context, p access.Principal, in Input) (res *executor.Result, replayed bool, err error) {
	if err := p.May(access.Run); err != nil {
		return nil, false, err
	}
	integ, err := s.Rules.Integration(ctx, p, in.Integration)
	if err != nil {
		return nil, false, err
	}
	call := executor.Call{
		OrgID: p.Org.ID, UserID: p.User.ID, Integration: integ.ID, Action: in.Action, Environment: in.Environment,
		Params: in.Params, Version: in.Version, Source: sourceOf(p, in.Source), Actor: p.Actor(), IdempotencyKey: in.IdempotencyKey,
		Shape: executor.Shape{Select: in.Select, MaxBytes: in.MaxBytes, DefaultBytes: in.DefaultBytes, Owner: resultOwner(p)},
		Pages: in.Pages,
	}
	if in.MaxBytes < 0 || in.MaxBytes > connector.MaxResponseBytes {
		return nil, false, problem.Invalid("max_bytes is out of range", []problem.FieldError{{Field: "max_bytes", Message: fmt.Sprintf("must be between 1 and %d", connector.MaxResponseBytes)}})
	}
	if in.Select != "" {
		if _, err := connector.Query(in.Select); err != nil {
			return nil, false, problem.Invalid("select is not a valid jq expression", []problem.FieldError{{Field: "select", Message: err.Error() + `; for example "[.items[] | {id, name}]"`}})
		}
	}
	if in.Pages.MaxPages < 0 || in.Pages.MaxItems < 0 {
		return nil, false, problem.Invalid("max_pages and max_items must not be negative", []problem.FieldError{{Field: "max_items", Message: "give a positive number, or leave it out"}})
	}
	t, act, err := s.Executor.Resolve(ctx, &call)
	if err != nil {
		return nil, false, err
	}
	if t.Definition.PersonalConnections && p.User.ID != "" {
		if err := s.personal(ctx, p, t, call.Environment); err != nil {
			return nil, false, err
		}
	}
	run := func(ctx context.Context) (*executor.Result, error) { return s.Executor.RunAction(ctx, t, act, call) }
	if act.NeedsApproval(call.Environment) {
		if run, err = s.gate(ctx, p, t, act, &call, run); err != nil {
			return nil, false, err
		}
	}
	scope := replayScope(p)
	if scope == "" || call.IdempotencyKey == "" {
		res, err := run(ctx)
		return res, false, err
	}
	return s.Idempotency.Do(ctx, idempotency.Request{
		OrgID: p.Org.ID, Scope: scope, Key: call.IdempotencyKey,
		Fingerprint: fingerprint(in),
	}, run)
}

// fingerprint binds an idempotency key to the call: its action and
// params, and what the caller asked of the result when it asked anything
// (so a key reused for another page of a list is refused, not replayed).
func fingerprint(in Input) string {
	parts := []any{in.Integration, in.Action, in.Environment, in.Version, in.Params}
	if in.Select != "" || in.MaxBytes != 0 || in.Pages != (executor.Pages{}) {
		parts = append(parts, in.Select, in.MaxBytes, in.Pages)
	}
	return idempotency.Fingerprint(parts...)
}

// replayScope is whose idempotency keys replay results: a member's across
// the API and dashboard, an agent's own. A trigger run's key goes to the
// API instead; its run's own row keeps it from running twice.
func replayScope(p access.Principal) string {
	switch p.Kind {
	case access.Agent:
		return "mcp:" + p.AgentID
	case access.Member, access.Worker:
		return "api:" + p.User.ID
	}
	return ""
}

// sourceOf is the call log's source of a call by p, unless the caller
// named one.
func sourceOf(p access.Principal, named executor.Source) executor.Source {
	if named != "" {
		return named
	}
	switch p.Via {
	case access.MCP:
		return executor.SourceMCP
	case access.Triggers:
		return executor.SourceTrigger
	case access.Workers:
		return executor.SourceWorker
	case access.Dashboard:
		return executor.SourceTest
	}
	return executor.SourceAPI
}

// TestInput is a connection test: a real call with the integration's
// declared test action, or its first GET action.
type TestInput struct {
	Integration string
	Environment string
	Params      map[string]any
}

// Test reports whether an integration's connection works for p.
func (s *Service) Test(ctx context.Context, p access.Principal, in TestInput) (*executor.TestResult, error) {
	if err := p.May(access.Run); err != nil {
		return nil, err
	}
	integ, err := s.Rules.Integration(ctx, p, in.Integration)
	if err != nil {
		return nil, err
	}
	return s.Executor.Test(ctx, executor.Call{
		OrgID: p.Org.ID, UserID: p.User.ID, Integration: integ.ID, Environment: in.Environment, Params: in.Params, Actor: p.Actor(),
	})
}
