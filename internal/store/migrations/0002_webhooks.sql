-- Webhooks: the id is the unguessable token in the public URL /hooks/{id}.
-- secret and previous_secret are sealed by the vault (bound to id); the
-- previous one keeps verifying until previous_expires_at after a rotation.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    secret TEXT NOT NULL,
    previous_secret TEXT NOT NULL DEFAULT '',
    previous_expires_at BIGINT,
    allowed_ips TEXT NOT NULL DEFAULT '[]',
    rate_limit_per_second DOUBLE PRECISION NOT NULL DEFAULT 0,
    retry TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id, created_at);

-- Triggers keep the source text of their expressions; they are compiled
-- when saved and again when a node loads the webhook.
CREATE TABLE webhook_triggers (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    spec TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_triggers_webhook ON webhook_triggers (webhook_id, position);

-- Events are stored exactly as received. provider_event_id is NULL when the
-- sender gives none; the unique index drops repeated deliveries.
-- sqlite
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    provider_event_id TEXT,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    source_ip TEXT NOT NULL DEFAULT '',
    received_at BIGINT NOT NULL
);
-- postgres
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    provider_event_id TEXT,
    headers TEXT NOT NULL,
    body BYTEA NOT NULL,
    source_ip TEXT NOT NULL DEFAULT '',
    received_at BIGINT NOT NULL
);
-- common
CREATE UNIQUE INDEX webhook_events_dedupe ON webhook_events (webhook_id, provider_event_id);
CREATE INDEX webhook_events_webhook ON webhook_events (webhook_id, id);

-- One run per event and matching trigger; status is pending, retrying,
-- succeeded or dead. replays counts manual replays (part of the
-- idempotency key sent upstream).
CREATE TABLE trigger_runs (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    trigger_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    replays INTEGER NOT NULL DEFAULT 0,
    next_at BIGINT,
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX trigger_runs_event ON trigger_runs (event_id);
CREATE INDEX trigger_runs_webhook_status ON trigger_runs (webhook_id, status);

CREATE TABLE trigger_attempts (
    run_id TEXT NOT NULL REFERENCES trigger_runs(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER NOT NULL DEFAULT 0,
    duration_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    log_id TEXT NOT NULL DEFAULT '',
    started_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, number)
);
