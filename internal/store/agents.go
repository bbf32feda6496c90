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
}

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

const agentCols = `id, org_id, name, key_prefix, created_by, created_at, updated_at, key_rotated_at, revoked_at`

func scanAgent(row interface{ Scan(...any) error }) (Agent, error) {
	var a Agent
	var c, u int64
	var rotated, revoked sql.NullInt64
	if err := row.Scan(&a.ID, &a.OrgID, &a.Name, &a.KeyPrefix, &a.CreatedBy, &c, &u, &rotated, &revoked); err != nil {
		return Agent{}, mapErr(err)
	}
	a.CreatedAt, a.UpdatedAt, a.KeyRotatedAt, a.RevokedAt = ms(c), ms(u), nullMS(rotated), nullMS(revoked)
	return a, nil
}

// CreateAgent stores a new agent with its key hash and grants.
func (s *Store) CreateAgent(ctx context.Context, a Agent, keyHash string) (Agent, error) {
	t := time.Now().UTC()
	a.ID = id.New("agt")
	a.CreatedAt, a.UpdatedAt = t, t
	err := s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, s.q(`INSERT INTO agents (id, org_id, name, key_prefix, key_hash, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			a.ID, a.OrgID, a.Name, a.KeyPrefix, keyHash, a.CreatedBy, t.UnixMilli(), t.UnixMilli()); err != nil {
			return mapErr(err)
		}
		return tx.replaceGrants(ctx, a.ID, a.Grants)
	})
	if err != nil {
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
	a, err := scanAgent(s.r.QueryRowContext(ctx, s.q(`SELECT `+agentCols+` FROM agents WHERE org_id = ? AND id = ?`), orgID, agentID))
	if err != nil {
		return Agent{}, err
	}
	a.Grants, err = s.grants(ctx, a.ID)
	return a, err
}

// AgentByKeyHash resolves an agent key (by hash) to its agent, grants
// included. Revoked agents are not found. It reads the database every time,
// so a revoked or rotated key stops working on its next use.
func (s *Store) AgentByKeyHash(ctx context.Context, hash string) (Agent, error) {
	a, err := scanAgent(s.r.QueryRowContext(ctx, s.q(`SELECT `+agentCols+` FROM agents WHERE key_hash = ? AND revoked_at IS NULL`), hash))
	if err != nil {
		return Agent{}, err
	}
	a.Grants, err = s.grants(ctx, a.ID)
	return a, err
}

// ListAgents lists an organization's agents, oldest first, revoked ones
// included.
func (s *Store) ListAgents(ctx context.Context, orgID string) ([]Agent, error) {
	out, err := queryAll(ctx, s.r, s.q(`SELECT `+agentCols+` FROM agents WHERE org_id = ? ORDER BY created_at, id`), scanAgent, orgID)
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
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT integration_id, actions, environment, run_as_user_id FROM agent_grants WHERE agent_id = ? ORDER BY position`), agentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Grant{}
	for rows.Next() {
		var g Grant
		var actions string
		if err := rows.Scan(&g.IntegrationID, &actions, &g.Environment, &g.RunAs); err != nil {
			return nil, err
		}
		if actions != "" {
			if err := json.Unmarshal([]byte(actions), &g.Actions); err != nil {
				return nil, fmt.Errorf("grant of agent %s on %s: %w", agentID, g.IntegrationID, err)
			}
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// UpdateAgent saves an agent's name and replaces its grants.
func (s *Store) UpdateAgent(ctx context.Context, a Agent) (Agent, error) {
	t := time.Now().UTC()
	err := s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, s.q(`UPDATE agents SET name = ?, updated_at = ? WHERE org_id = ? AND id = ?`), a.Name, t.UnixMilli(), a.OrgID, a.ID)
		if err := affected(res, err); err != nil {
			return err
		}
		return tx.replaceGrants(ctx, a.ID, a.Grants)
	})
	if err != nil {
		return Agent{}, fmt.Errorf("update agent %s: %w", a.ID, err)
	}
	return s.GetAgent(ctx, a.OrgID, a.ID)
}

// RotateAgentKey replaces the key of an agent that is not revoked; the old
// key stops working at once.
func (s *Store) RotateAgentKey(ctx context.Context, orgID, agentID, prefix, hash string) error {
	t := now()
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE agents SET key_prefix = ?, key_hash = ?, key_rotated_at = ?, updated_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL`),
		prefix, hash, t, t, orgID, agentID)
	return affected(res, err)
}

// RevokeAgent revokes an agent: its key stops working at once. The agent
// stays listed, with the time it was revoked.
func (s *Store) RevokeAgent(ctx context.Context, orgID, agentID string) error {
	t := now()
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE agents SET revoked_at = ?, updated_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL`), t, t, orgID, agentID)
	return affected(res, err)
}
