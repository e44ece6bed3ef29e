-- Where the counter row lives (the database's and the counter table's object ids). A dump
-- restored into PostgreSQL gets new ones, so the server notices a restore that nobody announced
-- with `admin restored` and takes a new epoch (db.rs, `Db::check_continuity`).
ALTER TABLE counter ADD COLUMN place TEXT;
