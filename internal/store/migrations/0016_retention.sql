-- Retention: what the platform operator set for one organization instead
-- of its plan's defaults (NULL: the plan's), and the indexes the pruner
-- walks by age.
CREATE TABLE retention_overrides (
    org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
    events_days INTEGER,
    call_logs_days INTEGER,
    call_log_bodies_days INTEGER,
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);

CREATE INDEX webhook_events_org_time ON webhook_events (org_id, received_at);
CREATE INDEX idempotency_keys_org_created ON idempotency_keys (org_id, created_at);

-- Where an organization's audit trail starts after the operator exported
-- and removed its oldest entries: the last removed entry's seq and hash,
-- which the first kept entry links to.
CREATE TABLE audit_anchors (
    org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
    through_seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    truncated_at BIGINT NOT NULL
);
