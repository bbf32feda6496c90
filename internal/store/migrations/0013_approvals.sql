-- Approval gates: a call of an action whose policy needs a person's
-- approval is parked here with its exact request until an owner, an admin
-- or a member of the action's team decides, or until it expires. One row
-- per caller (scope) and idempotency key: the caller repeats the call with
-- the same key to get the outcome. request_hash binds the decision to the
-- request (integration, version, action, environment, method, URL,
-- params), so an approved call cannot be swapped for another.
CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    integration_name TEXT NOT NULL,
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    environment TEXT NOT NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    params TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    team TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL DEFAULT '',
    requester TEXT NOT NULL DEFAULT '',
    via TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    decided_at BIGINT,
    executed_at BIGINT,
    UNIQUE (org_id, scope, idem_key)
);
CREATE INDEX approvals_org_status ON approvals (org_id, status, created_at);
CREATE INDEX approvals_pending_expiry ON approvals (status, expires_at);

-- Where an organization wants to hear of each new pending approval: a URL
-- that receives it signed in the Standard Webhooks format with the secret,
-- which the vault seals. id is the organization's.
CREATE TABLE approval_settings (
    id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
    notify_url TEXT NOT NULL DEFAULT '',
    notify_secret TEXT NOT NULL DEFAULT ''
);
