package mcp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// MaxToolName is the longest tool name given out. MCP allows 128
// characters, but OpenAI and Anthropic function names stop at 64, and a
// tool should have one name wherever it is used.
const MaxToolName = 64

// ToolName is the name of an action as a tool: "<integration slug>__<action
// key>". Slugs and keys never hold two underscores in a row, so the double
// underscore splits a name unambiguously. A name longer than [MaxToolName]
// keeps its first 55 characters and ends with "_" and 8 hex digits of the
// SHA-256 of the whole name: stable, readable, and distinct in practice.
func ToolName(slug, key string) string {
	name := slug + "__" + key
	if len(name) <= MaxToolName {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimRight(name[:MaxToolName-9], "_") + "_" + hex.EncodeToString(sum[:4])
}

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

// InputSchema is the action's parameters as one JSON Schema object.
func (t *Tool) InputSchema() *jsonschema.Schema { return t.Action.InputSchema() }

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

// version identifies what a listed tool was built from, to tell whether
// a session's copy is current.
func (t *Tool) version() string {
	return fmt.Sprintf("%s@%d/%s/%s", t.Integration.ID, t.Version, t.Action.Key, t.Grant.Environment)
}

// Catalog turns an agent's grants into its tools.
type Catalog struct {
	Executor *executor.Executor
}

// Tools lists the tools an agent may call now: for each grant, in order,
// the granted actions of the integration's deployed version. Integrations
// that are not deployed (yet) add no tools.
func (c *Catalog) Tools(ctx context.Context, agent store.Agent) ([]Tool, error) {
	var out []Tool
	for _, g := range agent.Grants {
		t, err := c.Executor.Load(ctx, agent.OrgID, g.IntegrationID, connector.Production, executor.VersionDeployed)
		if p, ok := problem.As(err); ok && (p.Status == http.StatusNotFound || p.Status == http.StatusConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tools of agent %s: %w", agent.ID, err)
		}
		for i := range t.Definition.Actions {
			a := &t.Definition.Actions[i]
			if !g.AllActions() && !slices.Contains(g.Actions, a.Key) {
				continue
			}
			out = append(out, Tool{
				Name: ToolName(t.Integration.Slug, a.Key), Integration: t.Integration, Version: t.Version,
				Definition: t.Definition, Action: a, Grant: g,
			})
		}
	}
	return out, nil
}

// Find returns the agent's tool called name.
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
