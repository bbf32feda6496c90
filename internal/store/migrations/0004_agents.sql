-- Agents: AI agents that reach deployed integrations as MCP tools with a key
-- of their own (only its hash is stored).
CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    key_rotated_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX agents_org ON agents (org_id);

-- What an agent may call: one row per integration, with its actions (a JSON
-- array; empty for all), the environment ('' picks production when it is
-- connected, else sandbox) and whose connections it uses ('' = shared).
CREATE TABLE agent_grants (
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    actions TEXT NOT NULL DEFAULT '',
    environment TEXT NOT NULL DEFAULT '',
    run_as_user_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (agent_id, integration_id)
);

-- Idempotency keys of action calls: the first result of a key is replayed
-- to repeats within the retention window instead of calling the API again.
-- A row without a result is a call still in flight.
CREATE TABLE idempotency_keys (
    org_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    result TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
