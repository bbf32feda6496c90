-- postgres
-- PostgreSQL checks a foreign key by locking the row it names (FOR KEY
-- SHARE), row by row: every event locked its webhook's row and every run
-- its event's, which cost the database about 100 µs per triggered event.
-- The store removes a webhook's events and an event's runs itself
-- (Tx.DeleteWebhook, the retention job's cascade), and a batch of events
-- locks its webhooks' rows once, so that a webhook deleted meanwhile gets
-- no events. SQLite checks its keys without locks and keeps them.
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_webhook_id_fkey;
ALTER TABLE trigger_runs DROP CONSTRAINT trigger_runs_event_id_fkey;
