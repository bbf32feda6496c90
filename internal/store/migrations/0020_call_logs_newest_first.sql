-- The call log is read newest first: a page of an organization's entries,
-- ORDER BY id DESC (ids are time-ordered), and the next page below a
-- cursor id. With the index by organization and time, the database read
-- every entry the organization kept and sorted them for each page. By
-- organization and id, a page reads its own entries; the retention job
-- finds old entries by the time in their ids through the same index.
DROP INDEX call_logs_org_time;
CREATE INDEX call_logs_org_newest ON call_logs (org_id, id);
