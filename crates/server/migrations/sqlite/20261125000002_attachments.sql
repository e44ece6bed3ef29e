-- Attachments: document bytes, content-addressed, uploaded in chunks so a large file survives a
-- dropped connection (the upload resumes at the first missing chunk).

-- Which actions' documents refer to which content (who may download it).
CREATE TABLE blob_refs (
    sha256    TEXT NOT NULL,
    action_id TEXT NOT NULL,
    PRIMARY KEY (sha256, action_id)
);

CREATE TABLE blobs (
    sha256   TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    chunks   INTEGER NOT NULL,
    -- 1 once every chunk is here and the whole hashes to sha256.
    complete INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE blob_chunks (
    sha256 TEXT NOT NULL,
    idx    INTEGER NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (sha256, idx)
);
