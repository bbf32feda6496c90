package client

import (
	"context"
	"encoding/json"
	"net/url"
	"time"
)

// AgentGrant lets an agent call actions of one integration.
type AgentGrant struct {
	// Integration is the integration's id or slug.
	Integration string `json:"integration"`
	// Actions are action keys; none, or "*", grants every action.
	Actions []string `json:"actions,omitempty"`
	// Environment is "sandbox", "production" or "auto" (the default:
	// production once the integration has a production connection).
	Environment string `json:"environment,omitempty"`
	// RunAs is the id of the user whose connections the agent uses, or
	// "shared" (the default) for the organization's.
	RunAs string `json:"run_as,omitempty"`
}

// AgentInput creates or edits an agent. On edit, nil fields are kept.
type AgentInput struct {
	Name  *string       `json:"name,omitempty"`
	Tools *[]AgentGrant `json:"tools,omitempty"`
	// ToolMode is how MCP lists the agent's tools: "auto" (the default:
	// every tool up to the search threshold, tools to search, describe
	// and call them above it), "all" or "search".
	ToolMode *string `json:"tool_mode,omitempty"`
	// ToolSearchThreshold is the agent's own threshold of the auto mode;
	// 0 takes the server's.
	ToolSearchThreshold *int `json:"tool_search_threshold,omitempty"`
	// MaxResultBytes is what one tool result returns inline (0: the
	// default, 16 KB); a larger result is stored for read_result.
	MaxResultBytes *int `json:"max_result_bytes,omitempty"`
}

// Agent is an AI agent with its grants. Key is set only when the agent is
// created or its key rotated: it is shown once.
type Agent struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Key          string    `json:"key"`
	KeyPrefix    string    `json:"key_prefix"`
	Tools        []Grant   `json:"tools"`
	MCPURL       string    `json:"mcp_url"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	KeyRotatedAt time.Time `json:"key_rotated_at"`
	RevokedAt    time.Time `json:"revoked_at"`
	ToolMode     string    `json:"tool_mode"`
	// ToolSearchThreshold is the agent's own threshold; 0 takes the
	// server's.
	ToolSearchThreshold int `json:"tool_search_threshold"`
	// MaxResultBytes is the agent's budget for a result returned inline.
	MaxResultBytes int `json:"max_result_bytes"`
}

// Grant is a stored grant as the API shows it.
type Grant struct {
	Integration     string   `json:"integration"`
	IntegrationSlug string   `json:"integration_slug"`
	Actions         []string `json:"actions"`
	Environment     string   `json:"environment"`
	RunAs           string   `json:"run_as"`
}

// CreateAgent creates an agent; the result holds its key.
func (c *Client) CreateAgent(ctx context.Context, name string, tools []AgentGrant) (*Agent, error) {
	var out Agent
	return &out, c.Do(ctx, "POST", "/v1/agents", AgentInput{Name: &name, Tools: &tools}, &out)
}

// CreateAgentWith creates an agent from in; the result holds its key.
func (c *Client) CreateAgentWith(ctx context.Context, in AgentInput) (*Agent, error) {
	var out Agent
	return &out, c.Do(ctx, "POST", "/v1/agents", in, &out)
}

// ListAgents lists the organization's agents, revoked ones included.
func (c *Client) ListAgents(ctx context.Context) ([]Agent, error) {
	var out struct {
		Agents []Agent `json:"agents"`
	}
	return out.Agents, c.Do(ctx, "GET", "/v1/agents", nil, &out)
}

// GetAgent loads an agent.
func (c *Client) GetAgent(ctx context.Context, id string) (*Agent, error) {
	var out Agent
	return &out, c.Do(ctx, "GET", path("/v1/agents/%s", id), nil, &out)
}

// UpdateAgent renames an agent or replaces its grants.
func (c *Client) UpdateAgent(ctx context.Context, id string, in AgentInput) (*Agent, error) {
	var out Agent
	return &out, c.Do(ctx, "PATCH", path("/v1/agents/%s", id), in, &out)
}

// RevokeAgent revokes an agent; its key stops working at once.
func (c *Client) RevokeAgent(ctx context.Context, id string) error {
	return c.Do(ctx, "DELETE", path("/v1/agents/%s", id), nil, nil)
}

// RotateAgentKey gives an agent a new key; the old one stops working.
func (c *Client) RotateAgentKey(ctx context.Context, id string) (*Agent, error) {
	var out Agent
	return &out, c.Do(ctx, "POST", path("/v1/agents/%s/rotate-key", id), nil, &out)
}

// AgentTools exports an agent's tools as function-calling JSON in format
// "openai", "anthropic" or "mcp"; each element is one tool.
func (c *Client) AgentTools(ctx context.Context, id, format string) ([]json.RawMessage, error) {
	var out struct {
		Tools []json.RawMessage `json:"tools"`
	}
	return out.Tools, c.Do(ctx, "GET", path("/v1/agents/%s/tools", id)+"?format="+url.QueryEscape(format), nil, &out)
}
