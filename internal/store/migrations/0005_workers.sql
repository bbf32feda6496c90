-- Go SDK workers: code-defined integrations run in worker processes that
-- connect out to the server, long-poll for invocations and post results.

-- A registered definition of a code integration per version, with the
-- hash that tells whether a worker brings a changed definition.
CREATE TABLE code_versions (
    integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    manifest_hash TEXT NOT NULL,
    manifest TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (integration_id, version)
);

-- One row per worker process (per registration). Live while last_seen_at
-- is recent and stopped_at is NULL.
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    sdk TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL,
    actions TEXT NOT NULL DEFAULT '',
    concurrency INTEGER NOT NULL DEFAULT 1,
    key_id TEXT NOT NULL DEFAULT '',
    connected_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    stopped_at BIGINT
);
CREATE INDEX workers_integration ON workers (integration_id, last_seen_at);

-- Durable invocations, leased to one worker at a time. A lease that
-- expires without a result makes the invocation claimable again.
CREATE TABLE worker_invocations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    environment TEXT NOT NULL,
    user_id TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL DEFAULT '',
    input TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    trace TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    worker_id TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_expires_at BIGINT,
    deadline_at BIGINT NOT NULL,
    output TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    error_status INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    completed_at BIGINT
);
-- Claims read only open invocations, however many finished ones remain.
CREATE INDEX worker_invocations_open ON worker_invocations (integration_id, created_at) WHERE status IN ('pending', 'leased');
CREATE INDEX worker_invocations_worker ON worker_invocations (worker_id, status);
CREATE INDEX worker_invocations_created ON worker_invocations (created_at);
