-- Results of action calls too large for the caller's byte budget, kept so
-- the caller can read them in parts (an agent's read_result tool, or
-- GET /v1/results/{id}). Only the principal that made the call reads one
-- (owner: "agent:<id>" or "user:<id>"); each expires, and pruning deletes
-- rows past expires_at.
CREATE TABLE stored_results (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    owner TEXT NOT NULL,
    integration_id TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    size BIGINT NOT NULL,
    items INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX stored_results_expires ON stored_results (expires_at);
CREATE INDEX stored_results_org ON stored_results (org_id, created_at);

-- An agent's default budget for the results it receives inline; 0 is the
-- server's default (16 KB).
ALTER TABLE agents ADD COLUMN max_result_bytes INTEGER NOT NULL DEFAULT 0;
