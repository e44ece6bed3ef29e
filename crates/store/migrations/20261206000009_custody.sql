-- Chain of custody (mandate_store::custody). Added, never edited, like every migration.
--
-- Each audit entry's action, read from the record it holds, and indexed for the entries of
-- assignments and extension requests: an action's custody is replayed from those entries,
-- including an assignment's since it was removed (the record tables no longer hold it).
-- Virtual, so the append-only audit rows are not rewritten.
ALTER TABLE audit ADD COLUMN action_id TEXT GENERATED ALWAYS AS (coalesce(after, before)->>'action_id') VIRTUAL;
CREATE INDEX audit_by_action ON audit(action_id) WHERE entity IN ('assignments', 'extensions');

-- Per office (a measure_offices key), how many holds took each whole number of hours to be
-- acknowledged (kind 0) and answered (kind 1): the Dashboard's medians and 90th percentiles
-- are read from these counts. Derived data, like the success measures: never replicated,
-- never audited.
CREATE TABLE custody_hours (
    office INTEGER NOT NULL,
    kind   INTEGER NOT NULL,
    hours  INTEGER NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (office, kind, hours)
) WITHOUT ROWID;

-- What each action adds to those counts (a JSON array of [office key, hours to acknowledge,
-- hours to answer]), so a change can take it away again.
CREATE TABLE custody_actions (action_id TEXT PRIMARY KEY, holds TEXT NOT NULL) WITHOUT ROWID;

-- Every existing action is brought up to date on the first read of the measures, once.
INSERT INTO measure_dirty(action_id) SELECT id FROM actions WHERE true ON CONFLICT DO NOTHING;
