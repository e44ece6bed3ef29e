-- Mandate's first schema. Migrations are only ever added, never edited: sqlx refuses to open a
-- database whose applied migration no longer matches its file (checksum), which keeps this true.
--
-- Each record table keeps the whole record as JSON in `data` (the exact text the audit log and
-- the change log carry) and exposes the fields that lists filter and sort on as STORED generated
-- columns, so the indexes never disagree with the record.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE actions (
    seq  INTEGER PRIMARY KEY,          -- stable rowid for the full-text index
    id   TEXT NOT NULL UNIQUE,
    action_id TEXT,                    -- unused for actions; kept so every record table has one shape
    data TEXT NOT NULL CHECK (json_valid(data)),
    number       TEXT GENERATED ALWAYS AS (data->>'number') STORED,
    kind         TEXT GENERATED ALWAYS AS (data->>'kind') STORED,
    status       TEXT GENERATED ALWAYS AS (data->>'status') STORED,
    priority     TEXT GENERATED ALWAYS AS (data->>'priority') VIRTUAL,
    title        TEXT GENERATED ALWAYS AS (data->>'title') VIRTUAL,
    suspense     TEXT GENERATED ALWAYS AS (data->>'suspense') VIRTUAL,
    -- Sort key: no suspense sorts last, so `ORDER BY due` walks an index instead of sorting.
    due          TEXT GENERATED ALWAYS AS (coalesce(data->>'suspense', '9999-12-31')) STORED,
    issued_on    TEXT GENERATED ALWAYS AS (data->>'issued_on') VIRTUAL,
    parent_id    TEXT GENERATED ALWAYS AS (data->>'parent_id') STORED,
    external_ref TEXT GENERATED ALWAYS AS (data->>'external_ref') STORED,
    percent      INTEGER GENERATED ALWAYS AS (data->>'percent_complete') VIRTUAL,
    marking      TEXT GENERATED ALWAYS AS (data->>'marking') VIRTUAL
);
-- List indexes carry `id` so that membership tests (an office's assignments, "unassigned")
-- run on the index alone; only the rows of the page shown are read from the table.
CREATE INDEX actions_status_due ON actions(status, due, id);
CREATE INDEX actions_due ON actions(due, id);
CREATE INDEX actions_kind_due ON actions(kind, due, id);
CREATE INDEX actions_parent ON actions(parent_id) WHERE parent_id IS NOT NULL;
CREATE UNIQUE INDEX actions_external_ref ON actions(external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX actions_number ON actions(number);

CREATE TABLE offices (
    id TEXT PRIMARY KEY, action_id TEXT, data TEXT NOT NULL CHECK (json_valid(data)),
    code TEXT GENERATED ALWAYS AS (upper(data->>'code')) STORED
);
CREATE UNIQUE INDEX offices_code ON offices(code);

CREATE TABLE people (
    id TEXT PRIMARY KEY, action_id TEXT, data TEXT NOT NULL CHECK (json_valid(data)),
    office_id TEXT GENERATED ALWAYS AS (data->>'office_id') STORED REFERENCES offices(id)
);

CREATE TABLE authorities (
    id TEXT PRIMARY KEY, action_id TEXT, data TEXT NOT NULL CHECK (json_valid(data)),
    citation TEXT GENERATED ALWAYS AS (data->>'citation') STORED,
    kind     TEXT GENERATED ALWAYS AS (data->>'kind') STORED
);
CREATE UNIQUE INDEX authorities_citation ON authorities(citation COLLATE NOCASE);

CREATE TABLE citations (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL REFERENCES actions(id),
    data TEXT NOT NULL CHECK (json_valid(data)),
    authority_id TEXT GENERATED ALWAYS AS (data->>'authority_id') STORED REFERENCES authorities(id)
);
CREATE INDEX citations_action ON citations(action_id);
CREATE INDEX citations_authority ON citations(authority_id);

-- office_id and role are written by the store from the record (not generated): SQLite does not
-- treat an index over a generated column as covering, and "actions of this office" must be
-- answered from the index alone.
CREATE TABLE assignments (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL REFERENCES actions(id),
    data TEXT NOT NULL CHECK (json_valid(data)),
    office_id TEXT NOT NULL REFERENCES offices(id) CHECK (office_id = data->>'office_id'),
    role      TEXT NOT NULL CHECK (role = data->>'role')
);
CREATE INDEX assignments_action ON assignments(action_id);
CREATE INDEX assignments_office ON assignments(office_id, action_id);

CREATE TABLE extensions (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL REFERENCES actions(id),
    data TEXT NOT NULL CHECK (json_valid(data))
);
CREATE INDEX extensions_action ON extensions(action_id);

CREATE TABLE risks (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL REFERENCES actions(id),
    data TEXT NOT NULL CHECK (json_valid(data))
);
CREATE INDEX risks_action ON risks(action_id);

CREATE TABLE impacts (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL REFERENCES actions(id),
    data TEXT NOT NULL CHECK (json_valid(data))
);
CREATE INDEX impacts_action ON impacts(action_id);

CREATE TABLE updates (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL REFERENCES actions(id),
    data TEXT NOT NULL CHECK (json_valid(data))
);
CREATE INDEX updates_action ON updates(action_id);

CREATE TABLE issues (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL REFERENCES actions(id),
    data TEXT NOT NULL CHECK (json_valid(data))
);
CREATE INDEX issues_action ON issues(action_id);

CREATE TABLE relations (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL REFERENCES actions(id),
    data TEXT NOT NULL CHECK (json_valid(data)),
    target_id TEXT GENERATED ALWAYS AS (data->>'target_id') STORED REFERENCES actions(id),
    kind      TEXT GENERATED ALWAYS AS (data->>'kind') STORED
);
CREATE INDEX relations_action ON relations(action_id);
CREATE INDEX relations_target ON relations(target_id);

CREATE TABLE evaluations (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL UNIQUE REFERENCES actions(id),
    data TEXT NOT NULL CHECK (json_valid(data))
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL REFERENCES actions(id),
    data TEXT NOT NULL CHECK (json_valid(data))
);
CREATE INDEX documents_action ON documents(action_id);

-- Document bytes, addressed by content hash (the same file attached twice is stored once).
CREATE TABLE document_blobs (
    sha256 TEXT PRIMARY KEY,
    bytes  BLOB NOT NULL
) STRICT;

CREATE TABLE transitions (
    id TEXT PRIMARY KEY, action_id TEXT NOT NULL REFERENCES actions(id),
    data TEXT NOT NULL CHECK (json_valid(data))
);
CREATE INDEX transitions_action ON transitions(action_id);

-- Tamper-evident audit trail: each entry's hash covers the previous entry's hash.
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL,
    before    TEXT,
    after     TEXT,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;
CREATE INDEX audit_entity ON audit(entity_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Outbox for replication: one entry per mutation with the changed fields and their values.
-- `fields` is NULL for a create: the whole record is the audit entry's `after` (not stored twice).
-- Read it through the `change_log` view.
-- What has been sent is a cursor (the last pushed `seq`, kept in `meta`), not a per-row flag:
-- pushes go in `seq` order, and a flag would cost an index entry on every write.
-- `change_id` (a UUIDv7) is what the server recognises a replayed push by.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY,
    change_id TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    fields    TEXT,
    audit_seq INTEGER NOT NULL REFERENCES audit(seq),
    hlc       TEXT NOT NULL,
    device_id TEXT NOT NULL
) STRICT;
CREATE VIEW change_log AS
    SELECT c.seq, c.change_id, c.entity, c.entity_id, coalesce(c.fields, a.after) AS fields, c.hlc, c.device_id
    FROM changes c JOIN audit a ON a.seq = c.audit_seq;

-- Full-text index over titles, bodies, status updates and cited authorities. Contentless (the
-- text already lives in the records) with delete support; rowid = actions.seq.
CREATE VIRTUAL TABLE action_search USING fts5(
    number, title, body, updates, authorities,
    content='', contentless_delete=1, detail=column, tokenize='unicode61 remove_diacritics 2'
);
