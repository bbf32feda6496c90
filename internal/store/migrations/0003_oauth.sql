-- OAuth 2.0 authorization requests in flight. The state sent to the
-- provider is stored only as its SHA-256 (id); the PKCE verifier is sealed
-- by the vault, bound to id. A row is deleted when the callback uses it, so
-- a state works once; rows past expires_at are refused and purged.
CREATE TABLE oauth_states (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    verifier TEXT NOT NULL DEFAULT '',
    redirect_uri TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
CREATE INDEX oauth_states_connection ON oauth_states (connection_id);
