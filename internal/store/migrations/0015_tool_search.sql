-- Tool search: an agent with a large grant can be shown three tools (search,
-- describe, call) instead of every tool. tool_mode is 'auto' (search above
-- the threshold), 'all' or 'search'; tool_search_threshold 0 takes the
-- server's default.
ALTER TABLE agents ADD COLUMN tool_mode TEXT NOT NULL DEFAULT 'auto';
ALTER TABLE agents ADD COLUMN tool_search_threshold INTEGER NOT NULL DEFAULT 0;

-- The search index of each agent's tools: one row per tool the agent may
-- call now, and no other. revision says what the row was built from, so a
-- row is rewritten only when its tool changed. heading holds the tool's name
-- and title in words, description its description, params its parameter
-- names, method and path; they are weighted in that order.
-- sqlite
CREATE TABLE agent_tool_index (
    id INTEGER PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    revision TEXT NOT NULL,
    heading TEXT NOT NULL,
    description TEXT NOT NULL,
    params TEXT NOT NULL,
    UNIQUE (agent_id, name)
);
-- SQLite searches through FTS5, an index over the table's columns that
-- triggers keep in step with it.
CREATE VIRTUAL TABLE agent_tool_fts USING fts5(agent_id, heading, description, params, content='agent_tool_index', content_rowid='id', tokenize='porter unicode61');
CREATE TRIGGER agent_tool_index_insert AFTER INSERT ON agent_tool_index BEGIN INSERT INTO agent_tool_fts (rowid, agent_id, heading, description, params) VALUES (new.id, new.agent_id, new.heading, new.description, new.params); END;
CREATE TRIGGER agent_tool_index_delete AFTER DELETE ON agent_tool_index BEGIN INSERT INTO agent_tool_fts (agent_tool_fts, rowid, agent_id, heading, description, params) VALUES ('delete', old.id, old.agent_id, old.heading, old.description, old.params); END;
CREATE TRIGGER agent_tool_index_update AFTER UPDATE ON agent_tool_index BEGIN INSERT INTO agent_tool_fts (agent_tool_fts, rowid, agent_id, heading, description, params) VALUES ('delete', old.id, old.agent_id, old.heading, old.description, old.params); INSERT INTO agent_tool_fts (rowid, agent_id, heading, description, params) VALUES (new.id, new.agent_id, new.heading, new.description, new.params); END;
-- postgres
CREATE TABLE agent_tool_index (
    id BIGSERIAL PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    revision TEXT NOT NULL,
    heading TEXT NOT NULL,
    description TEXT NOT NULL,
    params TEXT NOT NULL,
    -- PostgreSQL searches a weighted tsvector the database keeps itself.
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', heading), 'A') ||
        setweight(to_tsvector('english', description), 'B') ||
        setweight(to_tsvector('english', params), 'C')
    ) STORED,
    UNIQUE (agent_id, name)
);
CREATE INDEX agent_tool_index_search ON agent_tool_index USING GIN (search);
