-- A value sealed with the vault's key when the database was first used:
-- a node whose key cannot open it refuses to start, instead of failing on
-- every stored credential. Key rotation re-seals it like any secret.
CREATE TABLE vault_canary (
    id TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
