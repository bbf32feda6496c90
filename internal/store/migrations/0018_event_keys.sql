-- sqlite
-- A webhook's provider event ids stay unique without a unique index on the
-- events: those ids are random (GitHub's delivery GUIDs, Stripe's evt_…),
-- so the index took one page at a random place for every event received,
-- written to the log and again by the checkpoint. Now the key of an event
-- goes with it into webhook_event_keys_recent, in the order events arrive
-- (their ids are time-ordered), and the store folds those rows into
-- webhook_event_keys a few seconds later, many at once and sorted, so that
-- many keys share each page written. The trigger forgets an event's key
-- when the event goes (retention, a deleted webhook), as the index did.
CREATE TABLE webhook_event_keys (
    webhook_id TEXT NOT NULL,
    provider_event_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (webhook_id, provider_event_id)
) WITHOUT ROWID;
CREATE TABLE webhook_event_keys_recent (
    event_id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL,
    provider_event_id TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO webhook_event_keys (webhook_id, provider_event_id, event_id)
    SELECT webhook_id, provider_event_id, id FROM webhook_events
    WHERE provider_event_id IS NOT NULL ORDER BY webhook_id, provider_event_id;
DROP INDEX webhook_events_dedupe;
CREATE TRIGGER webhook_events_forget_key AFTER DELETE ON webhook_events WHEN OLD.provider_event_id IS NOT NULL BEGIN DELETE FROM webhook_event_keys WHERE webhook_id = OLD.webhook_id AND provider_event_id = OLD.provider_event_id AND event_id = OLD.id; DELETE FROM webhook_event_keys_recent WHERE event_id = OLD.id; END;
