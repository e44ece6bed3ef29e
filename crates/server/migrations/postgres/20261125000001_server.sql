-- The agency server's first schema (postgres). Migrations are only ever added, never edited; the
-- SQLite and PostgreSQL folders hold the same tables in each dialect.

-- People who may sync, with their role and office (an office record id).
CREATE TABLE users (
    username    TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    office_id   TEXT,
    office_code TEXT,
    created_at  TEXT NOT NULL
);

-- One-time enrolment codes, stored hashed.
CREATE TABLE enrolments (
    code_hash  TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users(username),
    expires_at TEXT NOT NULL,
    used_at    TEXT
);

-- Enrolled desktops. The device token is stored hashed; revoking sets revoked_at and the next
-- request with that token is refused.
CREATE TABLE devices (
    device_id  TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users(username),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    last_seen  TEXT
);

-- Every replicated record in its merged state: fields, the clock stamp of each field, the
-- tombstone stamp, and the sequence number of its latest change (the pull cursor walks it).
CREATE TABLE records (
    entity_id      TEXT PRIMARY KEY,
    entity         TEXT NOT NULL,
    action_id      TEXT,
    data           TEXT NOT NULL,
    clocks         TEXT NOT NULL,
    deleted        TEXT,
    seq            BIGINT NOT NULL,
    creator_office TEXT
);
CREATE UNIQUE INDEX records_seq ON records(seq);
CREATE INDEX records_action ON records(action_id);

-- Which offices have a say on which action (issuer, opr, ocr, info). Only ever added to: an
-- office that once saw an action keeps seeing it.
CREATE TABLE access (
    action_id TEXT NOT NULL,
    office_id TEXT NOT NULL,
    role      TEXT NOT NULL,
    PRIMARY KEY (action_id, office_id, role)
);
CREATE INDEX access_office ON access(office_id, action_id);

-- The server's own audit trail: every accepted change, who and which device made it,
-- hash-chained. change_id is unique: a replayed change is recognised here.
CREATE TABLE audit (
    seq       BIGINT PRIMARY KEY,
    change_id TEXT NOT NULL UNIQUE,
    at        TEXT NOT NULL,
    username  TEXT NOT NULL,
    device_id TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL,
    fields    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

-- Changes refused, with the reason (kept for inspectors; the device was told).
CREATE TABLE refusals (
    id        BIGINT PRIMARY KEY,
    change_id TEXT NOT NULL,
    at        TEXT NOT NULL,
    username  TEXT NOT NULL,
    device_id TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    reason    TEXT NOT NULL
);

-- One row: the last record sequence and the audit head. Every push updates it first, which
-- serialises pushes (a row lock on PostgreSQL, the write lock on SQLite), so sequence order is
-- commit order and a pull cursor never skips a change committed late.
CREATE TABLE counter (
    id         INTEGER PRIMARY KEY,
    seq        BIGINT NOT NULL,
    audit_seq  BIGINT NOT NULL,
    audit_hash TEXT NOT NULL,
    refusal_id BIGINT NOT NULL
);
INSERT INTO counter(id, seq, audit_seq, audit_hash, refusal_id)
VALUES (1, 0, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);
