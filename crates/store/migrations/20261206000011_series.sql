-- Recurring taskers (mandate_domain::series): a series record per recurring tasker, replicated
-- like offices (it belongs to no one action). Its occurrences are ordinary actions whose
-- `external_ref` is `series:<series id>:<suspense date>`.
CREATE TABLE series (
    id TEXT PRIMARY KEY, action_id TEXT, data TEXT NOT NULL CHECK (json_valid(data)),
    title TEXT GENERATED ALWAYS AS (data->>'title') VIRTUAL
);
