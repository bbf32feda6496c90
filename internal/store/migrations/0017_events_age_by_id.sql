-- An event's id carries the time it was received (ids are time-ordered),
-- so the pruner finds an organization's old events through its webhooks
-- and the (webhook_id, id) index. The index by organization and time was
-- one more entry to write for every event received.
DROP INDEX webhook_events_org_time;
