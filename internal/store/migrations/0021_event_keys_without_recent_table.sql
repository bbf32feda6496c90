-- sqlite
-- The keys of events not yet folded are read from the events themselves
-- instead of a table of their own: webhook_event_keys_recent was one more
-- row to write for every event received and one more to delete when it
-- was folded. webhook_event_keys_mark holds the time of the last fold
-- whose keys are all in webhook_event_keys; after a restart the store
-- reads the keys of the events received since shortly before it (see
-- store/eventkeys.go for why that finds all of them).
INSERT INTO webhook_event_keys (webhook_id, provider_event_id, event_id)
    SELECT webhook_id, provider_event_id, event_id FROM webhook_event_keys_recent
    ORDER BY webhook_id, provider_event_id
    ON CONFLICT DO NOTHING;
DROP TABLE webhook_event_keys_recent;
CREATE TABLE webhook_event_keys_mark (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    folded_ms BIGINT NOT NULL
);
INSERT INTO webhook_event_keys_mark (one, folded_ms)
    VALUES (1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
DROP TRIGGER webhook_events_forget_key;
CREATE TRIGGER webhook_events_forget_key AFTER DELETE ON webhook_events WHEN OLD.provider_event_id IS NOT NULL BEGIN DELETE FROM webhook_event_keys WHERE webhook_id = OLD.webhook_id AND provider_event_id = OLD.provider_event_id AND event_id = OLD.id; END;
