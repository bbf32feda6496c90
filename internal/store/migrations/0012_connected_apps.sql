-- Connected apps: MCP clients (desktop assistants, IDEs, hosted agent
-- builders) that a person signs in with OAuth instead of pasting a key.
-- Plugboard is their authorization server; /mcp is the protected resource.

-- OAuth clients. One registered dynamically (RFC 7591) has a generated id
-- and, when it asked for one, a client secret stored only as its SHA-256.
-- One identified by a client ID metadata document has the document's https
-- URL as its id; its row caches what the document said when last read.
CREATE TABLE app_clients (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    client_uri TEXT NOT NULL DEFAULT '',
    redirect_uris TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    auth_method TEXT NOT NULL,
    secret_hash TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    fetched_at BIGINT
);

-- Authorization codes, stored only as their SHA-256, issued when a person
-- approves a client on the consent screen. A code works once, within its
-- minute; family_id names the tokens it was exchanged for, which a replay
-- of the code revokes.
CREATE TABLE app_codes (
    hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    resource TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    family_id TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX app_codes_expires ON app_codes (expires_at);

-- A token family is what one code exchange starts: an access token and a
-- refresh token, then each rotation's pair. Presenting a refresh token that
-- was already rotated revokes the whole family.
CREATE TABLE app_token_families (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX app_token_families_agent ON app_token_families (agent_id);

-- Access and refresh tokens, stored only as their SHA-256. used_at marks a
-- refresh token that was rotated; revoked_at one revoked on its own
-- (RFC 7009).
CREATE TABLE app_tokens (
    hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL REFERENCES app_token_families(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX app_tokens_family ON app_tokens (family_id);
CREATE INDEX app_tokens_expires ON app_tokens (expires_at);

-- A connected app is an agent bound to the person who approved it
-- (created_by); client_id names its OAuth client ('' for agents with a
-- key), last_used_at its latest request to /mcp.
ALTER TABLE agents ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN last_used_at BIGINT;
CREATE INDEX agents_connected ON agents (org_id, created_by, client_id);
