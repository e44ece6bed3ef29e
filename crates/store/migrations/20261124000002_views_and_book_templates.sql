-- Saved views of the actions list and reusable briefing-book setups. Same record shape as every
-- other table (id, action_id, data) so the one writer audits and logs them like any record.
CREATE TABLE saved_views (
    id TEXT PRIMARY KEY, action_id TEXT, data TEXT NOT NULL CHECK (json_valid(data)),
    name TEXT GENERATED ALWAYS AS (data->>'name') STORED
);
CREATE UNIQUE INDEX saved_views_name ON saved_views(lower(name));

CREATE TABLE book_templates (
    id TEXT PRIMARY KEY, action_id TEXT, data TEXT NOT NULL CHECK (json_valid(data)),
    name TEXT GENERATED ALWAYS AS (data->>'name') STORED
);
CREATE UNIQUE INDEX book_templates_name ON book_templates(lower(name));
