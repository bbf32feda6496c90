package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Tool is one deployed action an agent may call.
type Tool struct {
	Name        string
	Integration store.Integration
	Version     int
	Definition  *connector.Definition
	Action      *connector.Action
	Grant       store.Grant
}

// maxDescription bounds the descriptions agents read in every listing.
const maxDescription = 1024

// Description tells a model what the tool does and what it calls.
func (t *Tool) Description() string {
	a := t.Action
	what := strings.TrimSpace(a.Description)
	if what == "" {
		what = a.Name
	}
	if len(what) > maxDescription {
		what = strings.ToValidUTF8(what[:maxDescription], "") + "…"
	}
	return fmt.Sprintf("%s\n\n%s: %s %s", what, t.Integration.Name, a.Method, a.Endpoint)
}

// Annotations derive from the HTTP method: GET and HEAD only read; DELETE
// destroys; PUT and DELETE (idempotent in HTTP) and actions marked
// idempotent may be repeated safely. Other writes are declared not
// destructive, since MCP would otherwise assume every write is. Every tool
// reaches an outside API, so the world is open.
func (t *Tool) Annotations() *sdk.ToolAnnotations {
	open := true
	ann := &sdk.ToolAnnotations{Title: t.Action.Name, OpenWorldHint: &open}
	switch strings.ToUpper(t.Action.Method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		ann.ReadOnlyHint = true
		return ann
	case http.MethodDelete:
		ann.DestructiveHint = ptr(true)
		ann.IdempotentHint = true
	case http.MethodPut:
		ann.DestructiveHint = ptr(false)
		ann.IdempotentHint = true
	default:
		ann.DestructiveHint = ptr(false)
	}
	if t.Action.Idempotent {
		ann.IdempotentHint = true
	}
	return ann
}

func ptr[T any](v T) *T { return &v }

// Revision identifies what a listed tool was built from, to tell whether
// a session's copy is current.
func (t *Tool) Revision() string {
	return fmt.Sprintf("%s@%d/%s/%s", t.Integration.ID, t.Version, t.Action.Key, t.Grant.Environment)
}

// Catalog turns an agent's grants into its tools, and says for whom and
// where a tool runs. It is safe for concurrent use.
type Catalog struct {
	store  *store.Store
	rules  *access.Rules
	loader *executor.Executor
}

// NewCatalog returns the catalog.
func NewCatalog(st *store.Store, rules *access.Rules, loader *executor.Executor) *Catalog {
	return &Catalog{store: st, rules: rules, loader: loader}
}

// Tools lists the tools an agent may call now: for each grant, in order,
// the granted actions of the integration's deployed version. Integrations
// that are not deployed (yet) add no tools, and neither does a grant that
// runs as a member who may no longer use its integration (who left, or is
// outside the teams it is now restricted to).
func (c *Catalog) Tools(ctx context.Context, agent store.Agent) ([]Tool, error) {
	var out []Tool
	for _, g := range agent.Grants {
		t, err := c.loader.Load(ctx, agent.OrgID, g.IntegrationID, connector.Production, executor.VersionDeployed)
		if p, ok := problem.As(err); ok && (p.Status == http.StatusNotFound || p.Status == http.StatusConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tools of agent %s: %w", agent.ID, err)
		}
		if g.RunAs != "" {
			p, err := c.acting(ctx, agent, g)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if ok, err := c.rules.MayUse(ctx, p, t.Integration); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		for i := range t.Definition.Actions {
			a := &t.Definition.Actions[i]
			if !g.AllActions() && !slices.Contains(g.Actions, a.Key) {
				continue
			}
			out = append(out, Tool{
				Name: connector.ToolName(t.Integration.Slug, a.Key), Integration: t.Integration, Version: t.Version,
				Definition: t.Definition, Action: a, Grant: g,
			})
		}
	}
	return out, nil
}

// Find returns the agent's tool called name, or nil.
func (c *Catalog) Find(ctx context.Context, agent store.Agent, name string) (*Tool, error) {
	tools, err := c.Tools(ctx, agent)
	if err != nil {
		return nil, err
	}
	for i := range tools {
		if tools[i].Name == name {
			return &tools[i], nil
		}
	}
	return nil, nil
}

// Principal is who a call of tool t by agent acts as: the agent, for the
// member its grant runs as (whose personal connections and team rights
// then apply), or for no one (the shared connections only).
func (c *Catalog) Principal(ctx context.Context, agent store.Agent, t *Tool) (access.Principal, error) {
	if t.Grant.RunAs != "" {
		return c.acting(ctx, agent, t.Grant)
	}
	org, err := c.store.GetOrg(ctx, agent.OrgID)
	if err != nil {
		return access.Principal{}, err
	}
	return access.ForAgent(agent, org, store.User{}), nil
}

func (c *Catalog) acting(ctx context.Context, agent store.Agent, g store.Grant) (access.Principal, error) {
	member, err := c.rules.Member(ctx, agent.OrgID, g.RunAs)
	if err != nil {
		return access.Principal{}, err
	}
	return access.ForAgent(agent, member.Org, member.User), nil
}

// Input is the run a call of t makes with args, the call's arguments
// named as the tool shows them: the action's parameters under the API's
// names, the deployed version, and the environment of the grant.
func (c *Catalog) Input(ctx context.Context, t *Tool, args map[string]any, idempotencyKey string) action.Input {
	return action.Input{
		Integration: t.Integration.ID, Action: t.Action.Key, Environment: c.Environment(ctx, t),
		Params: t.Params(args), Version: executor.VersionDeployed, IdempotencyKey: idempotencyKey,
	}
}

// Environment is where a call of t runs: the grant's environment, or when
// it names none, production once the integration has a production
// connection the call may use, else sandbox.
func (c *Catalog) Environment(ctx context.Context, t *Tool) string {
	if t.Grant.Environment != "" {
		return t.Grant.Environment
	}
	if _, err := c.store.ResolveConnection(ctx, t.Integration.OrgID, t.Integration.ID, connector.Production, t.Grant.RunAs); err == nil {
		return connector.Production
	}
	return connector.Sandbox
}
