package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/id"
)

// Agent is an AI agent of an organization: it reaches the deployed actions
// its grants name, as MCP tools, with a key of its own. Only the key's hash
// is stored.
type Agent struct {
	ID           string    `json:"id"`
	OrgID        string    `json:"org_id"`
	Name         string    `json:"name"`
	KeyPrefix    string    `json:"key_prefix"`
	Grants       []Grant   `json:"tools"`
	CreatedBy    string    `json:"created_by,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	KeyRotatedAt time.Time `json:"key_rotated_at,omitzero"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	// ClientID is set on a connected app: an agent that an OAuth client
	// (an MCP client a person signed in) acts as, bound to the person who
	// approved it (CreatedBy). It has no usable key.
	ClientID string `json:"client_id,omitempty"`
	// LastUsedAt is a connected app's latest request to /mcp, to the
	// minute.
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	// ToolMode is how the agent's tools are listed: ToolModeAuto (every
	// tool up to the threshold, the search tools above it), ToolModeAll or
	// ToolModeSearch.
	ToolMode string `json:"tool_mode"`
	// ToolSearchThreshold is the number of tools above which an agent in
	// ToolModeAuto gets the search tools; 0 takes the server's default.
	ToolSearchThreshold int `json:"tool_search_threshold"`
	// MaxResultBytes is the agent's budget for a result returned inline;
	// zero is the server's default.
	MaxResultBytes int `json:"max_result_bytes,omitempty"`
}

// Tool modes of an agent.
const (
	ToolModeAuto   = "auto"
	ToolModeAll    = "all"
	ToolModeSearch = "search"
)

// Connected reports whether a is a connected app rather than an agent with
// a key.
func (a Agent) Connected() bool { return a.ClientID != "" }

// Grant lets an agent call actions of one integration.
type Grant struct {
	IntegrationID string `json:"integration"`
	// Actions are action keys; empty means every action.
	Actions []string `json:"actions"`
	// Environment is sandbox or production; empty picks production when the
	// integration has a production connection, else sandbox.
	Environment string `json:"environment,omitempty"`
	// RunAs is the user whose own connections are preferred; empty uses the
	// organization's shared connections only.
	RunAs string `json:"run_as,omitempty"`
}

// AllActions reports whether the grant covers every action.
func (g Grant) AllActions() bool { return len(g.Actions) == 0 }

const agentCols = `id, org_id, name, key_prefix, created_by, created_at, updated_at, key_rotated_at, revoked_at, client_id, last_used_at, tool_mode, tool_search_threshold, max_result_bytes`

func scanAgent(row interface{ Scan(...any) error }) (Agent, error) {
	var a Agent
	var c, u int64
	var rotated, revoked, used sql.NullInt64
	if err := row.Scan(&a.ID, &a.OrgID, &a.Name, &a.KeyPrefix, &a.CreatedBy, &c, &u, &rotated, &revoked, &a.ClientID, &used, &a.ToolMode, &a.ToolSearchThreshold, &a.MaxResultBytes); err != nil {
		return Agent{}, mapErr(err)
	}
	a.CreatedAt, a.UpdatedAt, a.KeyRotatedAt, a.RevokedAt, a.LastUsedAt = ms(c), ms(u), nullMS(rotated), nullMS(revoked), nullMS(used)
	return a, nil
}

// CreateAgent stores a new agent in a transaction of its own.
func (s *Store) CreateAgent(ctx context.Context, a Agent, keyHash string) (Agent, error) {
	return inTx(ctx, s, func(tx *Tx) (Agent, error) { return tx.CreateAgent(ctx, a, keyHash) })
}

// CreateAgent stores a new agent with its key hash and grants.
func (t *Tx) CreateAgent(ctx context.Context, a Agent, keyHash string) (Agent, error) {
	at := time.Now().UTC()
	a.ID = id.New("agt")
	a.CreatedAt, a.UpdatedAt = at, at
	if a.ToolMode == "" {
		a.ToolMode = ToolModeAuto
	}
	if _, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO agents (id, org_id, name, key_prefix, key_hash, created_by, created_at, updated_at, client_id, tool_mode, tool_search_threshold, max_result_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		a.ID, a.OrgID, a.Name, a.KeyPrefix, keyHash, a.CreatedBy, at.UnixMilli(), at.UnixMilli(), a.ClientID, a.ToolMode, a.ToolSearchThreshold, a.MaxResultBytes); err != nil {
		return Agent{}, fmt.Errorf("create agent %q: %w", a.Name, mapErr(err))
	}
	if err := t.replaceGrants(ctx, a.ID, a.Grants); err != nil {
		return Agent{}, fmt.Errorf("create agent %q: %w", a.Name, err)
	}
	return a, nil
}

func (t *Tx) replaceGrants(ctx context.Context, agentID string, grants []Grant) error {
	if _, err := t.tx.ExecContext(ctx, t.s.q(`DELETE FROM agent_grants WHERE agent_id = ?`), agentID); err != nil {
		return mapErr(err)
	}
	for i, g := range grants {
		actions := ""
		if len(g.Actions) > 0 {
			b, err := json.Marshal(g.Actions)
			if err != nil {
				return err
			}
			actions = string(b)
		}
		if _, err := t.tx.ExecContext(ctx, t.s.q(`INSERT INTO agent_grants (agent_id, integration_id, position, actions, environment, run_as_user_id) VALUES (?, ?, ?, ?, ?, ?)`),
			agentID, g.IntegrationID, i, actions, g.Environment, g.RunAs); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// GetAgent loads an organization's agent with its grants.
func (s *Store) GetAgent(ctx context.Context, orgID, agentID string) (Agent, error) {
	a, err := scanAgent(s.readRow(ctx, `SELECT `+agentCols+` FROM agents WHERE org_id = ? AND id = ?`, orgID, agentID))
	if err != nil {
		return Agent{}, err
	}
	a.Grants, err = s.grants(ctx, a.ID)
	return a, err
}

// AgentByKeyHash resolves an agent key (by hash) to its agent, grants
// included. Revoked agents are not found, nor are connected apps, which
// sign in with OAuth tokens only. It reads the database every time, so a
// revoked or rotated key stops working on its next use.
func (s *Store) AgentByKeyHash(ctx context.Context, hash string) (Agent, error) {
	a, err := scanAgent(s.readRow(ctx, `SELECT `+agentCols+` FROM agents WHERE key_hash = ? AND revoked_at IS NULL AND client_id = ''`, hash))
	if err != nil {
		return Agent{}, err
	}
	a.Grants, err = s.grants(ctx, a.ID)
	return a, err
}

// ListAgents lists an organization's agents with keys, oldest first,
// revoked ones included. Connected apps are listed per person
// ([Store.ConnectedApps]).
func (s *Store) ListAgents(ctx context.Context, orgID string) ([]Agent, error) {
	return s.listAgents(ctx, `SELECT `+agentCols+` FROM agents WHERE org_id = ? AND client_id = '' ORDER BY created_at, id`, orgID)
}

func (s *Store) listAgents(ctx context.Context, query string, args ...any) ([]Agent, error) {
	out, err := queryAll(ctx, s.r, s.q(query), scanAgent, args...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Grants, err = s.grants(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) grants(ctx context.Context, agentID string) ([]Grant, error) {
	return queryAll(ctx, s.r, s.q(`SELECT integration_id, actions, environment, run_as_user_id FROM agent_grants WHERE agent_id = ? ORDER BY position`), scanGrant, agentID)
}

func scanGrant(row rowScanner) (Grant, error) {
	var g Grant
	var actions string
	if err := row.Scan(&g.IntegrationID, &actions, &g.Environment, &g.RunAs); err != nil {
		return g, err
	}
	if actions != "" {
		if err := json.Unmarshal([]byte(actions), &g.Actions); err != nil {
			return g, fmt.Errorf("grant on %s: %w", g.IntegrationID, err)
		}
	}
	return g, nil
}

// UpdateAgent saves an agent's name and replaces its grants, in a
// transaction of its own.
func (s *Store) UpdateAgent(ctx context.Context, a Agent) (Agent, error) {
	if err := s.InTx(ctx, func(tx *Tx) error { return tx.UpdateAgent(ctx, a) }); err != nil {
		return Agent{}, err
	}
	return s.GetAgent(ctx, a.OrgID, a.ID)
}

// UpdateAgent saves an agent's name and tool mode and replaces its grants.
func (t *Tx) UpdateAgent(ctx context.Context, a Agent) error {
	if a.ToolMode == "" {
		a.ToolMode = ToolModeAuto
	}
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE agents SET name = ?, tool_mode = ?, tool_search_threshold = ?, max_result_bytes = ?, updated_at = ? WHERE org_id = ? AND id = ?`),
		a.Name, a.ToolMode, a.ToolSearchThreshold, a.MaxResultBytes, now(), a.OrgID, a.ID)
	if err := affected(res, err); err != nil {
		return fmt.Errorf("update agent %s: %w", a.ID, err)
	}
	if err := t.replaceGrants(ctx, a.ID, a.Grants); err != nil {
		return fmt.Errorf("update agent %s: %w", a.ID, err)
	}
	return nil
}

// RotateAgentKey replaces an agent's key in a transaction of its own.
func (s *Store) RotateAgentKey(ctx context.Context, orgID, agentID, prefix, hash string) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.RotateAgentKey(ctx, orgID, agentID, prefix, hash) })
}

// RotateAgentKey replaces the key of an agent that is not revoked; the old
// key stops working at once.
func (t *Tx) RotateAgentKey(ctx context.Context, orgID, agentID, prefix, hash string) error {
	at := now()
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE agents SET key_prefix = ?, key_hash = ?, key_rotated_at = ?, updated_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL`),
		prefix, hash, at, at, orgID, agentID)
	return affected(res, err)
}

// RevokeAgent revokes an agent in a transaction of its own.
func (s *Store) RevokeAgent(ctx context.Context, orgID, agentID string) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.RevokeAgent(ctx, orgID, agentID) })
}

// RevokeAgent revokes an agent: its key stops working at once. The agent
// stays listed, with the time it was revoked. An agent already revoked is
// ErrNotFound.
func (t *Tx) RevokeAgent(ctx context.Context, orgID, agentID string) error {
	at := now()
	res, err := t.tx.ExecContext(ctx, t.s.q(`UPDATE agents SET revoked_at = ?, updated_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL`), at, at, orgID, agentID)
	return affected(res, err)
}
