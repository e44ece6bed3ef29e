-- The success measures kept as sums (mandate_store::measures), so the Dashboard reads a few
-- thousand rows at 100k actions instead of every action, assignment, citation, risk and
-- evaluation. Derived data, like the search index: rebuilt from the records, never replicated,
-- never audited. Dates are day numbers (days from 0001-01-01, chrono's `num_days_from_ce`) and
-- offices small integer keys, so the indexes the medians walk stay small.
--
-- An office's key in the tables below; key 0 is the whole workspace.
CREATE TABLE measure_offices (key INTEGER PRIMARY KEY, office_id TEXT NOT NULL UNIQUE);
INSERT INTO measure_offices(key, office_id) VALUES (0, '');

-- What each action currently adds, so a change can take it away again. `offices` is a JSON
-- array of the keys it is counted under (0 and each distinct office assigned); `flags` holds
-- mandate_domain::metrics::Contribution flags as bits (bit i = flags()[i]); `conc` a JSON array
-- of concurrence seconds.
CREATE TABLE measure_actions (
    action_id TEXT PRIMARY KEY,
    day       INTEGER NOT NULL,
    offices   TEXT NOT NULL,
    flags     INTEGER NOT NULL,
    conc      TEXT NOT NULL
) WITHOUT ROWID;

-- Sums per office and period day. `rows` counts every action, drafts included (an office with
-- only drafts is still listed, with no measured actions).
CREATE TABLE measure_counts (
    office INTEGER NOT NULL,
    day    INTEGER NOT NULL,
    rows INTEGER NOT NULL, measured INTEGER NOT NULL, open INTEGER NOT NULL,
    completed INTEGER NOT NULL, on_time_within_scope INTEGER NOT NULL, done_late INTEGER NOT NULL,
    unassigned INTEGER NOT NULL, without_opr INTEGER NOT NULL, with_authority INTEGER NOT NULL,
    with_risk INTEGER NOT NULL, with_evaluation INTEGER NOT NULL, several_offices INTEGER NOT NULL,
    concurrences INTEGER NOT NULL, concurrence_seconds INTEGER NOT NULL,
    PRIMARY KEY (office, day)
) WITHOUT ROWID;

-- Open actions with a suspense, per office: overdue is "suspense before today", which no sum
-- kept in advance can know.
CREATE TABLE measure_open (
    action_id TEXT NOT NULL,
    office    INTEGER NOT NULL,
    suspense  INTEGER NOT NULL,
    day       INTEGER NOT NULL
);
CREATE INDEX measure_open_action ON measure_open(action_id);
CREATE INDEX measure_open_due ON measure_open(office, suspense, day);

-- Each concurrence's time, per office: the median needs the values, read off an index in order.
CREATE TABLE measure_concurrences (
    action_id TEXT NOT NULL,
    office    INTEGER NOT NULL,
    day       INTEGER NOT NULL,
    seconds   INTEGER NOT NULL
);
CREATE INDEX measure_concurrences_action ON measure_concurrences(action_id);
CREATE INDEX measure_concurrences_by_time ON measure_concurrences(office, seconds, day);
CREATE INDEX measure_concurrences_by_period ON measure_concurrences(office, day, seconds);

-- Actions written before the sums existed: the first read of the measures brings them up to
-- date (every later write keeps its own actions up to date in its own transaction).
CREATE TABLE measure_dirty (action_id TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO measure_dirty(action_id) SELECT id FROM actions;
