-- Who acts, recorded where it decides what others may see or do.
--
-- A trigger runs as the member who made it; triggers made before this
-- migration are given the organization's first owner.
ALTER TABLE webhook_triggers ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
UPDATE webhook_triggers SET created_by = COALESCE((
    SELECT u.id FROM users u JOIN webhooks w ON w.org_id = u.org_id
    WHERE w.id = webhook_triggers.webhook_id AND u.role = 'owner'
    ORDER BY u.created_at, u.id LIMIT 1), '');

-- The owner of the personal connection a call used ('' for the
-- organization's shared connections): such entries are shown to that
-- member only.
ALTER TABLE call_logs ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
