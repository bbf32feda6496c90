-- Submissions to the public catalog and the approved entries.
CREATE TABLE catalog_submissions (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    status TEXT NOT NULL,
    findings TEXT NOT NULL DEFAULT '[]',
    submitted_by TEXT NOT NULL DEFAULT '',
    submitted_at BIGINT NOT NULL,
    reviewed_by TEXT NOT NULL DEFAULT '',
    reviewed_at BIGINT,
    review_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX catalog_submissions_status ON catalog_submissions (status, submitted_at);
CREATE INDEX catalog_submissions_integration ON catalog_submissions (integration_id, submitted_at);

CREATE TABLE catalog_entries (
    slug TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL,
    publisher_org_id TEXT NOT NULL,
    publisher_name TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    definition TEXT NOT NULL,
    docs TEXT NOT NULL,
    version INTEGER NOT NULL,
    installs INTEGER NOT NULL DEFAULT 0,
    published_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
