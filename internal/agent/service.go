// Package agent is the application layer of AI agents: their keys, their
// grants (which deployed actions they may call, in which environment and
// for whom), the tools those grants make and the tools' exports as MCP,
// OpenAI and Anthropic function-calling JSON. The REST API, the dashboard
// and the MCP server all go through it.
//
// A grant may run as a member, so that the member's personal connections
// and team rights apply to the agent's calls. Only that member may make
// such a grant: an admin cannot borrow someone else's credentials by
// creating an agent that runs as them. A grant that already ran as a
// member when it was last saved keeps doing so.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/fit"
	"github.com/plugboard/plugboard/internal/naming"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// Audit trail actions.
const (
	ActionCreate = "agent.create"
	ActionUpdate = "agent.update"
	ActionRevoke = "agent.revoke"
	ActionRotate = "agent.rotate_key"
)

// ToolWatcher hears that an organization's agents or their tools changed.
type ToolWatcher interface {
	ToolsChanged(ctx context.Context, orgID string)
}

// Deps are what the operations need; every field is required but Logger.
type Deps struct {
	Store   *store.Store
	Rules   *access.Rules
	Loader  *executor.Executor
	Catalog *Catalog
	Tools   ToolWatcher
	Logger  *slog.Logger
	// Search decides whether MCP lists an agent's tools or the search
	// tools. Optional: without it, every tool is listed.
	Search *Search
}

// Service runs the agent operations. It is safe for concurrent use.
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

// Grant is one entry of an agent's tools as callers give it: an
// integration (id or slug), its actions (keys or names; none or "*" for
// all), the environment (sandbox, production, or none/"auto") and whose
// connections to use (a member's id, or none/"shared").
type Grant struct {
	Integration string   `json:"integration"`
	Actions     []string `json:"actions"`
	Environment string   `json:"environment"`
	RunAs       string   `json:"run_as"`
}

// Input creates or edits an agent; nil fields stay as they are on edits.
type Input struct {
	Name  *string  `json:"name"`
	Tools *[]Grant `json:"tools"`
	// ToolMode is how MCP lists the agent's tools: "auto" (the default:
	// every tool up to the search threshold, search, describe and call
	// above it), "all" or "search".
	ToolMode *string `json:"tool_mode"`
	// ToolSearchThreshold is the agent's own threshold of the auto mode;
	// 0 takes the server's.
	ToolSearchThreshold *int `json:"tool_search_threshold"`
	// MaxResultBytes is the agent's budget for a result returned inline
	// (0: the default, 16 KB); a larger one is stored for read_result.
	MaxResultBytes *int `json:"max_result_bytes"`
}

// maxSearchThreshold bounds an agent's own search threshold.
const maxSearchThreshold = 100_000

// applyToolMode sets the tool mode and threshold in puts on ag.
func applyToolMode(ag *store.Agent, in Input) error {
	var errs []problem.FieldError
	if in.ToolMode != nil {
		mode := strings.TrimSpace(*in.ToolMode)
		if mode == "" {
			mode = store.ToolModeAuto
		}
		if !slices.Contains(ToolModes, mode) {
			errs = append(errs, problem.FieldError{Field: "tool_mode", Message: fmt.Sprintf("must be %q (search above the threshold), %q or %q, got %q", store.ToolModeAuto, store.ToolModeAll, store.ToolModeSearch, *in.ToolMode)})
		} else {
			ag.ToolMode = mode
		}
	}
	if in.ToolSearchThreshold != nil {
		if n := *in.ToolSearchThreshold; n < 0 || n > maxSearchThreshold {
			errs = append(errs, problem.FieldError{Field: "tool_search_threshold", Message: fmt.Sprintf("must be a number of tools from 1 to %d, or 0 for the server's default, got %d", maxSearchThreshold, n)})
		} else {
			ag.ToolSearchThreshold = n
		}
	}
	if len(errs) > 0 {
		return problem.Invalid("the agent's tool mode is not valid", errs)
	}
	return nil
}

// resultBudget checks an agent's result budget.
func resultBudget(n *int) (int, error) {
	if n == nil {
		return 0, nil
	}
	if *n < 0 || *n > connector.MaxResponseBytes {
		return 0, problem.Invalid("max_result_bytes is out of range", []problem.FieldError{{Field: "max_result_bytes",
			Message: fmt.Sprintf("must be between 1 and %d bytes, or 0 for the default of %d", connector.MaxResponseBytes, fit.DefaultBudget)}})
	}
	return *n, nil
}

// NewKey makes an agent key to show once, its prefix and its hash.
func NewKey() (key, prefix, hash string) {
	key = vault.NewToken("pba_", 24)
	return key, key[:12], vault.HashToken(key)
}

// Create makes an agent with the tools its grants name and returns it with
// its key, which is shown once and stored only hashed.
func (s *Service) Create(ctx context.Context, p access.Principal, in Input) (store.Agent, string, error) {
	if err := p.May(access.ManageOrg); err != nil {
		return store.Agent{}, "", err
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return store.Agent{}, "", problem.Invalid("name is required", []problem.FieldError{{Field: "name", Message: "give the agent a name, e.g. \"support bot\""}})
	}
	name, err := naming.Field("name", naming.Name, *in.Name)
	if err != nil {
		return store.Agent{}, "", err
	}
	var grants []store.Grant
	if in.Tools != nil {
		if grants, err = s.grants(ctx, p, *in.Tools, nil); err != nil {
			return store.Agent{}, "", err
		}
	}
	budget, err := resultBudget(in.MaxResultBytes)
	if err != nil {
		return store.Agent{}, "", err
	}
	key, prefix, hash := NewKey()
	ag := store.Agent{OrgID: p.Org.ID, Name: name, KeyPrefix: prefix, Grants: grants, CreatedBy: p.User.ID, ToolMode: store.ToolModeAuto, MaxResultBytes: budget}
	if err := applyToolMode(&ag, in); err != nil {
		return store.Agent{}, "", err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if ag, err = tx.CreateAgent(ctx, ag, hash); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionCreate, "agent", ag.ID, auditDetail(ag)))
		return err
	})
	if err != nil {
		return store.Agent{}, "", err
	}
	return ag, key, nil
}

// Update renames an agent or replaces its grants; connected MCP sessions
// are told their tools changed. A revoked agent cannot be changed.
func (s *Service) Update(ctx context.Context, p access.Principal, id string, in Input) (store.Agent, error) {
	ag, err := s.active(ctx, p, id)
	if err != nil {
		return store.Agent{}, err
	}
	if err := notConnected(ag); err != nil {
		return store.Agent{}, err
	}
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			return store.Agent{}, problem.Invalid("name must not be empty", []problem.FieldError{{Field: "name", Message: "give the agent a name"}})
		}
		if ag.Name, err = naming.Field("name", naming.Name, *in.Name); err != nil {
			return store.Agent{}, err
		}
	}
	if in.Tools != nil {
		if ag.Grants, err = s.grants(ctx, p, *in.Tools, ag.Grants); err != nil {
			return store.Agent{}, err
		}
	}
	if err := applyToolMode(&ag, in); err != nil {
		return store.Agent{}, err
	}
	if in.MaxResultBytes != nil {
		if ag.MaxResultBytes, err = resultBudget(in.MaxResultBytes); err != nil {
			return store.Agent{}, err
		}
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateAgent(ctx, ag); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionUpdate, "agent", ag.ID, auditDetail(ag)))
		return err
	})
	if err != nil {
		return store.Agent{}, err
	}
	s.Tools.ToolsChanged(ctx, p.Org.ID)
	return s.Store.GetAgent(ctx, p.Org.ID, ag.ID)
}

// Revoke stops an agent: its key is refused from its next request and its
// open MCP sessions are closed. The agent stays listed.
func (s *Service) Revoke(ctx context.Context, p access.Principal, id string) error {
	ag, err := s.active(ctx, p, id)
	if err != nil {
		return err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.RevokeAgent(ctx, p.Org.ID, ag.ID); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionRevoke, "agent", ag.ID, map[string]any{"name": ag.Name}))
		return err
	})
	if err != nil {
		return err
	}
	s.Tools.ToolsChanged(ctx, p.Org.ID)
	return nil
}

// RotateKey gives an active agent a new key, shown once; the old key stops
// working on its next request.
func (s *Service) RotateKey(ctx context.Context, p access.Principal, id string) (store.Agent, string, error) {
	ag, err := s.active(ctx, p, id)
	if err != nil {
		return store.Agent{}, "", err
	}
	if err := notConnected(ag); err != nil {
		return store.Agent{}, "", err
	}
	key, prefix, hash := NewKey()
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.RotateAgentKey(ctx, p.Org.ID, ag.ID, prefix, hash); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionRotate, "agent", ag.ID, nil))
		return err
	})
	if err != nil {
		return store.Agent{}, "", err
	}
	ag, err = s.Store.GetAgent(ctx, p.Org.ID, ag.ID)
	return ag, key, err
}

// active loads an agent p may manage that is not revoked.
func (s *Service) active(ctx context.Context, p access.Principal, id string) (store.Agent, error) {
	if err := p.May(access.ManageOrg); err != nil {
		return store.Agent{}, err
	}
	ag, err := s.Store.GetAgent(ctx, p.Org.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Agent{}, access.NotFound("agent", id)
	}
	if err != nil {
		return store.Agent{}, err
	}
	if !ag.RevokedAt.IsZero() {
		return store.Agent{}, problem.Conflict("agent %q was revoked; create a new agent instead", ag.Name)
	}
	return ag, nil
}

// notConnected refuses to edit a connected app as an agent: its tools are
// what its person approved, and it has no key to rotate. An admin may
// still revoke it.
func notConnected(ag store.Agent) error {
	if ag.Connected() {
		return problem.Conflict("%q is an app a member connected with OAuth; its tools change when they connect it again, and it can be revoked", ag.Name)
	}
	return nil
}

// OwnGrants checks the grants p gives an app that acts for p (a connected
// app), with the rules of every agent's grants; each runs as p.
func (s *Service) OwnGrants(ctx context.Context, p access.Principal, in []Grant) ([]store.Grant, error) {
	own := make([]Grant, len(in))
	for i, g := range in {
		g.RunAs = p.User.ID
		own[i] = g
	}
	return s.grants(ctx, p, own, nil)
}

// List lists the organization's agents, revoked ones included.
func (s *Service) List(ctx context.Context, p access.Principal) ([]store.Agent, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	return s.Store.ListAgents(ctx, p.Org.ID)
}

// Get loads one agent.
func (s *Service) Get(ctx context.Context, p access.Principal, id string) (store.Agent, error) {
	if err := p.May(access.Read); err != nil {
		return store.Agent{}, err
	}
	ag, err := s.Store.GetAgent(ctx, p.Org.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Agent{}, access.NotFound("agent", id)
	}
	return ag, err
}

// Listing is how MCP lists an agent's tools now.
type Listing struct {
	Tools     int  // the tools the agent may call
	Threshold int  // the number above which the auto mode searches
	Search    bool // whether the search tools are listed instead
}

// ListingOf says how MCP lists ag's tools, given the tools it has now.
func (s *Service) ListingOf(ag store.Agent, tools []Tool) Listing {
	l := Listing{Tools: len(tools), Threshold: DefaultSearchThreshold}
	if s.Search != nil {
		l.Threshold, l.Search = s.Search.Threshold(ag), s.Search.Searching(ag, len(tools))
	}
	return l
}

// ToolsOf lists the tools an agent calls now; a revoked agent has none.
func (s *Service) ToolsOf(ctx context.Context, p access.Principal, id string) ([]Tool, error) {
	ag, err := s.Get(ctx, p, id)
	if err != nil || !ag.RevokedAt.IsZero() {
		return nil, err
	}
	return s.Catalog.Tools(ctx, ag)
}

// grants checks an agent's tools and resolves them to stored grants:
// every integration (by id, slug or name) exists, is deployed and p may use
// it, every action exists in its deployed version, and a grant runs as a member only when that
// member makes it or it already ran as them (before).
func (s *Service) grants(ctx context.Context, p access.Principal, in []Grant, before []store.Grant) ([]store.Grant, error) {
	var errs []problem.FieldError
	bad := func(i int, field, format string, args ...any) {
		errs = append(errs, problem.FieldError{Field: fmt.Sprintf("tools[%d].%s", i, field), Message: fmt.Sprintf(format, args...)})
	}
	out := make([]store.Grant, 0, len(in))
	seen := map[string]bool{}
	for i, gi := range in {
		if strings.TrimSpace(gi.Integration) == "" {
			bad(i, "integration", "give the integration's id or slug")
			continue
		}
		integ, err := s.integration(ctx, p, gi.Integration)
		if pe, ok := problem.As(err); ok && pe.Status == http.StatusNotFound {
			bad(i, "integration", "no integration %q in this organization", gi.Integration)
			continue
		}
		if err != nil {
			return nil, err
		}
		if integ.DeployedVersion == 0 {
			bad(i, "integration", "integration %q is not deployed; agents call deployed versions only, so deploy it first", gi.Integration)
			continue
		}
		if seen[integ.ID] {
			bad(i, "integration", "integration %q is granted twice; list its actions in one entry", gi.Integration)
			continue
		}
		seen[integ.ID] = true
		g := store.Grant{IntegrationID: integ.ID}
		switch gi.Environment {
		case "", "auto":
		case connector.Sandbox, connector.Production:
			g.Environment = gi.Environment
		default:
			bad(i, "environment", "must be %q, %q or \"auto\" (production once connected, else sandbox), got %q", connector.Sandbox, connector.Production, gi.Environment)
		}
		if msg := s.runAs(ctx, p, integ, gi.RunAs, before, &g); msg != "" {
			bad(i, "run_as", "%s", msg)
		}
		if keys, msg := s.actions(ctx, p.Org.ID, integ, gi.Actions); msg != "" {
			bad(i, "actions", "%s", msg)
		} else {
			g.Actions = keys
		}
		out = append(out, g)
	}
	if len(errs) > 0 {
		return nil, problem.Invalid("the agent's tools are not valid", errs)
	}
	return out, nil
}

// runAs sets whose connections a grant uses, or says why it may not.
func (s *Service) runAs(ctx context.Context, p access.Principal, integ store.Integration, who string, before []store.Grant, g *store.Grant) string {
	if who == "" || who == "shared" {
		return ""
	}
	member, err := s.Rules.Member(ctx, p.Org.ID, who)
	if err != nil {
		return fmt.Sprintf("no member %q in this organization; give a member's id or email address, or \"shared\"", who)
	}
	kept := slices.ContainsFunc(before, func(b store.Grant) bool { return b.IntegrationID == integ.ID && b.RunAs == member.User.ID })
	if member.User.ID != p.User.ID && !kept {
		return fmt.Sprintf("an agent may act for %s only if %s grants it; ask them to add this tool themselves, or use \"shared\" for the organization's connections", member.User.Email, member.User.Email)
	}
	acting := access.ForAgent(store.Agent{}, member.Org, member.User)
	if ok, err := s.Rules.MayUse(ctx, acting, integ); err != nil || !ok {
		return fmt.Sprintf("%s may not use integration %q", member.User.Email, integ.Name)
	}
	g.RunAs = member.User.ID
	return ""
}

// integration finds the integration a grant names by id, slug or name.
func (s *Service) integration(ctx context.Context, p access.Principal, ref string) (store.Integration, error) {
	integ, err := s.Rules.Integration(ctx, p, ref)
	if pe, ok := problem.As(err); !ok || pe.Status != http.StatusNotFound {
		return integ, err
	}
	list, lerr := s.Store.ListIntegrations(ctx, p.Org.ID)
	if lerr != nil {
		return store.Integration{}, lerr
	}
	for _, in := range list {
		if strings.EqualFold(in.Name, strings.TrimSpace(ref)) {
			return s.Rules.Integration(ctx, p, in.ID)
		}
	}
	return integ, err
}

// actions resolves action keys or names against the integration's
// deployed version, the one agents call; nil means all actions.
func (s *Service) actions(ctx context.Context, orgID string, integ store.Integration, actions []string) ([]string, string) {
	if len(actions) == 0 || (len(actions) == 1 && actions[0] == "*") {
		return nil, ""
	}
	var defs []*connector.Definition
	if t, err := s.Loader.Load(ctx, orgID, integ.ID, connector.Sandbox, executor.VersionDeployed); err == nil {
		defs = append(defs, t.Definition)
	}
	var keys []string
	for _, name := range actions {
		key := ""
		for _, d := range defs {
			if act, ok := d.Action(name); ok {
				key = act.Key
				break
			}
		}
		if key == "" {
			var known []string
			for _, d := range defs {
				for _, act := range d.Actions {
					if !slices.Contains(known, act.Key) {
						known = append(known, act.Key)
					}
				}
			}
			return nil, fmt.Sprintf("the deployed version %d of integration %q has no action %q; its actions are: %s (or \"*\" for all); deploy the draft first if it adds the action", integ.DeployedVersion, integ.Name, name, strings.Join(known, ", "))
		}
		if !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	}
	return keys, ""
}

// auditDetail is what the audit trail keeps of an agent's settings.
func auditDetail(ag store.Agent) map[string]any {
	d := map[string]any{"name": ag.Name, "tools": GrantSummary(ag.Grants), "tool_mode": ag.ToolMode, "max_result_bytes": ag.MaxResultBytes}
	if ag.ToolSearchThreshold > 0 {
		d["tool_search_threshold"] = ag.ToolSearchThreshold
	}
	return d
}

// GrantSummary is what the audit trail keeps of grants.
func GrantSummary(grants []store.Grant) []map[string]any {
	out := make([]map[string]any, 0, len(grants))
	for _, g := range grants {
		m := map[string]any{"integration": g.IntegrationID}
		if len(g.Actions) > 0 {
			m["actions"] = g.Actions
		}
		if g.RunAs != "" {
			m["run_as"] = g.RunAs
		}
		if g.Environment != "" {
			m["environment"] = g.Environment
		}
		out = append(out, m)
	}
	return out
}
