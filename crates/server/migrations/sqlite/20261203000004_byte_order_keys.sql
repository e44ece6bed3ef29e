-- Kept in step with the PostgreSQL migration of the same number, which gives its text keys
-- byte-order comparison. SQLite compares text byte by byte already (BINARY); nothing to do.
SELECT 1;
