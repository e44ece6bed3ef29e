-- Replication with the agency server (issue 5). Added, never edited, like every migration.
--
-- Changes the desktop applied from the server are logged too (every mutation is), but marked
-- `remote` so the outbox never sends them back.
ALTER TABLE changes ADD COLUMN remote INTEGER NOT NULL DEFAULT 0;

-- Per record, the clock stamp of each field as last agreed with the server (see
-- mandate_domain::replication::Clocks). One row per record, not per field: a first sync of
-- 100k records would otherwise write millions of rows.
CREATE TABLE sync_clocks (
    entity_id TEXT PRIMARY KEY,
    clocks    TEXT NOT NULL
) STRICT;

-- Records deleted (here or elsewhere): a late edit from the server never brings one back.
CREATE TABLE sync_tombstones (
    entity_id TEXT PRIMARY KEY,
    entity    TEXT NOT NULL,
    hlc       TEXT NOT NULL
) STRICT;

-- Conflicts recorded by the server (replicated records; people mark them resolved here).
CREATE TABLE sync_conflicts (
    id TEXT PRIMARY KEY, action_id TEXT,
    data TEXT NOT NULL CHECK (json_valid(data))
);

-- Changes the server refused, with its reason: kept until someone dismisses them.
CREATE TABLE sync_refusals (
    change_id TEXT PRIMARY KEY,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    fields    TEXT,
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL,
    dismissed INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Pulled records whose parent has not arrived yet (or that point at an action this user may
-- not see); retried on every pull.
CREATE TABLE sync_parked (
    entity_id TEXT PRIMARY KEY,
    record    TEXT NOT NULL
) STRICT;

-- Document contents the server has confirmed it holds (uploaded, or downloaded from it).
CREATE TABLE sync_blobs (
    sha256 TEXT PRIMARY KEY
) STRICT;
